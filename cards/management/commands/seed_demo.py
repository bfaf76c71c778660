"""The open demo course: the baclofen deck, an instructor, two student logins and a class.

    manage.py seed_demo [--class-size 36] [--days 21] [--seed 17]

The class (cards.management.demo_class) is `--class-size` students who studied for `--days`
days up to yesterday, student1 among them, and took a quiz in their first week, all through
the real answer and quiz services; student2 has not studied yet (a first day to try). The
class statistics are calculated once at the end. Idempotent: a second run finds the accounts,
the enrolments and the class's reviews and changes nothing; a demo database made before the
class gets it (a demo login that studied meanwhile keeps its own history). `--class-size 0`: no class, no
history (the tests that want an empty course)."""

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from cards.management.demo_class import class_usernames, seed_class
from cards.models import ClassStats, Course, Deck, Profile, ReviewLog
from cards.services import class_stats
from cards.services.accounts import make_instructor
from cards.services.courses import enroll_student

DEMO_COURSE = "Pharmacology demo course"
DEMO_JOIN_CODE = "BACLOFEN"
DEMO_ACCOUNTS = [
    # username, password, role
    ("instructor", "demo-instructor-pass", "instructor"),
    ("student1", "demo-student1-pass", "student"),
    ("student2", "demo-student2-pass", "student"),
]
STUDIES_WITH_THE_CLASS = ("student1",)


class Command(BaseCommand):
    help = "Create the open demo course with the baclofen deck, demo accounts and a class with history (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--deck", default="baclofen")
        parser.add_argument("--class-size", type=int, default=36, help="Students with a history (0: none).")
        parser.add_argument("--days", type=int, default=21, help="Days of study the class has behind it.")
        parser.add_argument("--seed", type=int, default=17, help="Random seed of the class's answers.")

    @transaction.atomic
    def handle(self, *args, deck: str, class_size: int, days: int, seed: int, **options):
        if class_size < 0 or not 2 <= days <= 120:
            raise CommandError("--class-size must be 0 or more, --days 2 to 120")
        found = Deck.objects.filter(slug=deck).first()
        if found is None:
            raise CommandError(f"no deck {deck!r}: run load_bank first")
        User = get_user_model()
        users = {}
        for username, password, role in DEMO_ACCOUNTS:
            user, created = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
            if created:
                user.set_password(password)
                user.save()
            Profile.objects.get_or_create(user=user)
            if role == "instructor":
                make_instructor(user)
            users[username] = user
        course, _ = Course.objects.get_or_create(
            join_code=DEMO_JOIN_CODE,
            defaults={"title": DEMO_COURSE, "is_open": True, "owner": users["instructor"]},
        )
        course.instructors.add(users["instructor"])
        course.decks.add(found)
        for username, _password, role in DEMO_ACCOUNTS:
            if role == "student":
                enroll_student(user=users[username], course=course)
        self.stdout.write(f"Demo course {course.title!r} (join code {course.join_code}) with deck {found.title!r}")
        if class_size:
            self._class(course, class_size, days, seed, also=[users[name] for name in STUDIES_WITH_THE_CLASS])
        self.stdout.write("Demo accounts (username / password):")
        for username, password, role in DEMO_ACCOUNTS:
            self.stdout.write(f"  {role:<10} {username:<12} {password}")

    def _class(self, course: Course, size: int, days: int, seed: int, *, also) -> None:
        if ReviewLog.objects.filter(card__course=course, user__username__in=class_usernames(size)).exists():
            self.stdout.write("The class has studied already: its history is kept as it is.")
            return
        # A demo login that has studied on its own (an older demo database) keeps its history.
        also = [user for user in also if not ReviewLog.objects.filter(user=user, card__course=course).exists()]
        started = time.perf_counter()
        now = timezone.now()
        seeded = seed_class(course=course, size=size, days=days, seed=seed, now=now, also=also)
        if not ClassStats.objects.filter(course=course).exists():
            class_stats.refresh(course, now=now)
        self.stdout.write(
            f"A class of {seeded.students} students: {seeded.reviews} reviews over {days} days and "
            f"{seeded.quiz_attempts} quiz attempts, in {time.perf_counter() - started:.1f} s"
        )
