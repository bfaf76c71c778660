"""Journey 7: a student takes an instructor's timed quiz. Answers are saved as given, a
reload halfway loses nothing and does not restart the clock, and the result page shows the
score and the review the quiz's options allow. Journey 8: a student starts a practice quiz
of one topic."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from cards.core.grading import cloze_deletions
from cards.core.passages import quote_in_sentences
from cards.models import Attempt, Course, Question, Quiz, Response, ReviewLog, Topic
from cards.services.courses import enroll_student
from cards.services.quizzes import quiz_create
from tests.e2e.support import log_in, screenshots, wait_for_htmx
from tests.factories import CourseFactory, DeckFactory, UserFactory, make_question

INSTRUCTOR = "instructor"
STUDENT = ("student1", "demo-student1-pass")
QUIZ_TITLE = "Baclofen mechanism check"
TIME_LIMIT = 10  # minutes
# One question of each way of answering: a radio, ticked boxes, typed text, a cloze gap.
QUIZ_UIDS = ("bac-mechanism-006", "bac-mechanism-013", "bac-mechanism-022", "bac-mechanism-027")
WRONG_UID = "bac-mechanism-022"  # the typed answer is answered wrong on purpose
WRONG_TEXT = "GABA-A"


def load_demo() -> Course:
    call_command("load_bank", "fixtures/baclofen/bank.json", verbosity=0)
    call_command("seed_demo", class_size=0, verbosity=0)  # the course without its class: this test makes its own
    return Course.objects.get(join_code="BACLOFEN")


def timed_quiz(course: Course) -> Quiz:
    return quiz_create(
        course=course,
        created_by=course.owner,
        title=QUIZ_TITLE,
        questions=Question.objects.filter(uid__in=QUIZ_UIDS),
        num_questions=len(QUIZ_UIDS),
        time_limit_minutes=TIME_LIMIT,
        show_score=Quiz.Reveal.AFTER_SUBMISSION,
        show_correct=Quiz.Reveal.AFTER_SUBMISSION,
        show_explanations=Quiz.Reveal.AFTER_SUBMISSION,
    )


def seconds_left(page: Page) -> int:
    """The countdown as quiz.js shows it (M:SS), once the script has taken over."""
    label = page.locator("#time-left")
    expect(label).to_have_text(re.compile(r"^\d+:\d\d$"))
    minutes, seconds = label.inner_text().split(":")
    return int(minutes) * 60 + int(seconds)


def is_answer_post(response) -> bool:
    return response.url.endswith("/answer/") and response.request.method == "POST"


def answer_item(page: Page, question: Question, *, correct: bool = True) -> str:
    """Answer one quiz question with the mouse/keyboard as a student would; each change is
    saved by htmx, which swaps the question back with a "saved" badge. Returns what was given."""
    section = page.locator(f"#q{question.pk}")
    expect(section).to_be_visible()
    wait_for_htmx(page)
    if question.kind in ("single", "truefalse", "multiple"):
        picks = list(question.choices.filter(correct=correct).values_list("pk", flat=True))
        if question.kind != "multiple":
            picks = picks[:1]
        for pk in picks:
            # Re-resolved after each swap: the section is replaced on every save.
            with page.expect_response(is_answer_post) as saved:
                section.locator(f'input[name^="choice"][value="{pk}"]').click()
            assert saved.value.status == 200, saved.value.status
            wait_for_htmx(page)
            expect(section.locator(f'input[name^="choice"][value="{pk}"]')).to_be_checked()
        given = ",".join(map(str, picks))
    else:
        if correct:
            given = question.answers[0] if question.kind == "short" else cloze_deletions(question.prompt)[1][0]
        else:
            given = WRONG_TEXT
        field = section.get_by_label("Your answer")
        field.fill(given)
        with page.expect_response(is_answer_post) as saved:
            field.press("Enter")  # the form's submit, which htmx turns into a POST
        assert saved.value.status == 200, saved.value.status
        wait_for_htmx(page)
        expect(section.get_by_label("Your answer")).to_have_value(given)
    expect(section.locator("h2 .badge")).to_have_text("saved")
    expect(section).to_have_class(re.compile(r"\banswered\b"))
    return given


def expect_still_answered(page: Page, question: Question, given: str) -> None:
    section = page.locator(f"#q{question.pk}")
    expect(section.locator("h2 .badge")).to_have_text("saved")
    if question.kind in ("single", "truefalse", "multiple"):
        for pk in given.split(","):
            expect(section.locator(f'input[value="{pk}"]')).to_be_checked()
        expect(section.locator("input:checked")).to_have_count(len(given.split(",")))
    else:
        expect(section.get_by_label("Your answer")).to_have_value(given)


@pytest.mark.django_db(transaction=True)
def test_student_takes_a_timed_quiz_reloads_halfway_and_reviews_the_result(page, base_url, axe):
    course = load_demo()
    quiz = timed_quiz(course)
    questions = {q.pk: q for q in Question.objects.filter(uid__in=QUIZ_UIDS).select_related("passage__source")}
    assert len(questions) == len(QUIZ_UIDS)

    log_in(page, base_url, *STUDENT, axe=axe)
    page.get_by_role("link", name="Quizzes").click()
    expect(page.get_by_role("heading", name="Quizzes", level=1)).to_be_visible()
    row = page.locator("article.quiz-row", has_text=QUIZ_TITLE)
    expect(row).to_contain_text(f"{len(QUIZ_UIDS)} questions · {TIME_LIMIT} min")
    expect(row).to_contain_text("attempts 0/1")
    axe.check(page, "quiz list")

    row.get_by_role("button", name="Start or resume").click()
    expect(page.get_by_role("heading", name=QUIZ_TITLE, level=1)).to_be_visible()
    attempt = Attempt.objects.get(quiz=quiz, user__username=STUDENT[0])
    assert re.search(rf"/attempts/{attempt.pk}/$", page.url), page.url
    assert attempt.deadline == attempt.started_at + timedelta(minutes=TIME_LIMIT)
    order = [questions[pk] for pk in attempt.question_ids]
    assert sorted(q.uid for q in order) == sorted(QUIZ_UIDS)
    expect(page.locator("section.quiz-item")).to_have_count(len(order))
    expect(page.locator("main")).to_contain_text(f"0 of {len(order)} answered")
    start_left = seconds_left(page)
    assert TIME_LIMIT * 60 - 15 <= start_left <= TIME_LIMIT * 60, start_left
    # The clock runs in the page (it is not just the server's number printed once).
    page.wait_for_function(
        "(s) => { const [m, x] = document.getElementById('time-left').textContent.split(':');"
        " return m * 60 + +x < s; }",
        arg=start_left,
    )
    axe.check(page, "quiz attempt (new)")

    # Two answers, each saved as given.
    given: dict[int, str] = {}
    for question in order[:2]:
        given[question.pk] = answer_item(page, question, correct=question.uid != WRONG_UID)
    assert Response.objects.filter(attempt=attempt).count() == 2
    # after_submission: no correct answer and no explanation while the attempt is open.
    expect(page.locator(".right-mark, .explanation")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("Correct answer")
    axe.check(page, "quiz attempt (two answers saved)")

    # Reload halfway: the same questions, both answers still there, the clock not restarted.
    before_reload = seconds_left(page)
    page.reload()
    expect(page.locator("section.quiz-item")).to_have_count(len(order))
    assert page.locator("section.quiz-item").evaluate_all("els => els.map(e => e.id)") == [f"q{q.pk}" for q in order], (
        "the question order changed on reload"
    )
    after_reload = seconds_left(page)
    assert after_reload <= before_reload, (before_reload, after_reload)
    server_left = (attempt.deadline - timezone.now()).total_seconds()
    assert abs(after_reload - server_left) <= 3, (after_reload, server_left)
    expect(page.locator("main")).to_contain_text(f"2 of {len(order)} answered")
    for question in order[:2]:
        expect_still_answered(page, question, given[question.pk])
    axe.check(page, "quiz attempt after reload")
    screenshots(page, "quiz-attempt")

    for question in order[2:]:
        given[question.pk] = answer_item(page, question, correct=question.uid != WRONG_UID)
    # (The "N of 4 answered" line above the questions is not part of the htmx swap, so it
    # only catches up on the next page load: reported as an app bug. Count the badges.)
    expect(page.locator("section.quiz-item h2 .badge", has_text="saved")).to_have_count(len(order))
    assert Response.objects.filter(attempt=attempt).count() == len(order)

    page.get_by_role("button", name="Submit the quiz").click()
    expect(page).to_have_url(f"{base_url}/attempts/{attempt.pk}/result/")
    attempt.refresh_from_db()
    assert attempt.is_submitted and not attempt.auto_submitted
    assert (attempt.score, attempt.max_score) == (len(order) - 1, len(order))

    # The result: score, right/wrong per question, the correct answers, explanations and
    # the cited passage (every review option is "after submission").
    expect(page.get_by_role("heading", name=f"{QUIZ_TITLE}: result", level=1)).to_be_visible()
    expect(page.locator("p.score")).to_contain_text(f"Score: {len(order) - 1} / {len(order)}")
    expect(page.locator("p.score")).to_contain_text("(75%)")
    items = page.locator("section.qcard")
    expect(items).to_have_count(len(order))
    for n, question in enumerate(order, start=1):
        item = items.nth(n - 1)
        right = question.uid != WRONG_UID
        expect(item.locator("h2")).to_have_text(f"Question {n} — {'✔ right' if right else '✘ wrong'}")
        expect(item).to_have_class(re.compile(r"\bis-right\b" if right else r"\bis-wrong\b"))
        if question.kind in ("single", "multiple", "truefalse"):
            expect(item.locator("ul.results li.right")).to_have_count(question.choices.filter(correct=True).count())
            expect(item.locator("ul.results li", has_text="(your answer)")).to_have_count(
                len(given[question.pk].split(","))
            )
        else:
            expect(item).to_contain_text(f"Your answer: {given[question.pk]}")
            expect(item).to_contain_text("Correct answer:")
        expect(item.locator(".explanation")).to_contain_text(question.explanation[:40])
        # the quote widened to whole sentences, the passage named by heading and paragraph
        expect(item.locator("figure.source blockquote")).to_have_text(
            quote_in_sentences(question.passage.text, question.quote)
        )
        expect(item.locator("figure.source blockquote")).to_contain_text(question.quote)
        expect(item.locator("figure.source figcaption")).to_contain_text(
            f"Source: {question.passage.source.title}, {question.passage.label}"
        )
    axe.check(page, "quiz result")
    screenshots(page, "quiz-result")

    # A quiz answer also counts as one review of the student's card for that question.
    reviewed = ReviewLog.objects.filter(user__username=STUDENT[0], kind=ReviewLog.Kind.REVIEW)
    assert sorted(reviewed.values_list("card__question__uid", flat=True)) == sorted(QUIZ_UIDS)

    # One attempt allowed: the list shows it as past, and starting again is refused.
    page.get_by_role("link", name="Back to quizzes").click()
    past = page.locator("table.decks tbody tr", has_text=QUIZ_TITLE)
    expect(past).to_have_count(1)
    expect(row).to_contain_text("attempts 1/1")
    axe.check(page, "quiz list after the attempt")
    row.get_by_role("button", name="Start or resume").click()
    expect(page.locator(".messages")).to_contain_text("You have used every attempt of this quiz.")
    assert Attempt.objects.filter(quiz=quiz).count() == 1


@pytest.mark.django_db(transaction=True)
def test_student_starts_a_five_question_practice_quiz_on_one_topic(page, base_url, axe):
    load_demo()
    topic = Topic.objects.get(slug="withdrawal")
    log_in(page, base_url, "student2", "demo-student2-pass")
    page.goto(f"{base_url}/quizzes/")
    form = page.locator("form", has=page.get_by_role("button", name="Start practice"))
    form.get_by_label(topic.name).check()
    form.get_by_label("Questions").select_option("5")
    axe.check(page, "quiz list (practice form filled)")
    form.get_by_role("button", name="Start practice").click()

    expect(page.get_by_role("heading", name=f"Practice: {topic.name}", level=1)).to_be_visible()
    expect(page.locator("section.quiz-item")).to_have_count(5)
    expect(page.locator("main")).to_contain_text("0 of 5 answered")
    expect(page.locator(".timer")).to_have_count(0)  # practice is not timed
    attempt = Attempt.objects.get(user__username="student2", quiz__is_practice=True)
    drawn = Question.objects.filter(pk__in=attempt.question_ids)
    assert drawn.count() == 5
    assert set(drawn.values_list("topic__slug", flat=True)) == {topic.slug}
    assert set(drawn.values_list("kind", flat=True)) <= {"single", "multiple", "truefalse", "short", "cloze"}
    assert set(drawn.values_list("status", flat=True)) == {Question.Status.PUBLISHED}
    axe.check(page, "practice quiz attempt")


@pytest.mark.django_db(transaction=True)
def test_answered_count_follows_the_saved_answers(page, base_url):
    deck = DeckFactory(title="Two questions")
    first, _second = make_question(deck, "single"), make_question(deck, "truefalse")
    course = CourseFactory(title="Counting course")
    course.decks.add(deck)
    student = UserFactory(username="cora")
    enroll_student(user=student, course=course)
    quiz_create(course=course, created_by=None, title="Count me", num_questions=2)
    log_in(page, base_url, "cora", "correct-horse-battery")
    page.goto(f"{base_url}/quizzes/")
    page.get_by_role("button", name="Start or resume").click()
    expect(page.locator("main")).to_contain_text("0 of 2 answered")
    answer_item(page, first)
    expect(page.locator("main")).to_contain_text("1 of 2 answered", timeout=2_000)
