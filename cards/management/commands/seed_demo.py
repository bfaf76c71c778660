from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cards.models import Course, Deck, Profile
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


class Command(BaseCommand):
    help = "Create the open demo course with the baclofen deck and demo accounts (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--deck", default="baclofen")

    @transaction.atomic
    def handle(self, *args, deck: str, **options):
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
        self.stdout.write("Demo accounts (username / password):")
        for username, password, role in DEMO_ACCOUNTS:
            self.stdout.write(f"  {role:<10} {username:<12} {password}")
