"""Journeys 3 and 4: an instructor builds a course and writes a question with the live
preview (a student then studies it); an instructor imports a GIFT file and exports .apkg."""

from __future__ import annotations

import zipfile

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from cards.models import Course, Deck, Question
from cards.services.courses import enroll_student
from tests.e2e.support import GIFT_SAMPLE, log_in, screenshots
from tests.factories import UserFactory

INSTRUCTOR = ("instructor", "demo-instructor-pass")
PROMPT = "Which receptor does baclofen activate to relax spastic muscles?"


def load_demo():
    call_command("load_bank", "fixtures/baclofen/bank.json", verbosity=0)
    call_command("seed_demo", class_size=0, verbosity=0)  # the course without its class: this test makes its own


@pytest.mark.django_db(transaction=True)
def test_instructor_writes_and_publishes_a_question_a_student_then_studies(browser, context, page, base_url, axe):
    load_demo()
    log_in(page, base_url, *INSTRUCTOR, axe=axe)
    page.get_by_role("link", name="Teach").click()
    expect(page.get_by_role("heading", name="Teaching", level=1)).to_be_visible()
    axe.check(page, "teach home")

    # A new deck, then a course that uses it.
    page.get_by_role("link", name="New deck").click()
    axe.check(page, "new deck form")
    page.get_by_label("Title").fill("Spasticity drugs")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Spasticity drugs", level=1)).to_be_visible()
    axe.check(page, "deck page (empty)")
    deck = Deck.objects.get(title="Spasticity drugs")

    page.get_by_role("link", name="Teaching").click()
    page.get_by_role("link", name="New course").click()
    axe.check(page, "new course form")
    page.get_by_label("Title").fill("Neuropharmacology 2027")
    page.get_by_role("button", name="Create course").click()
    expect(page.get_by_role("heading", name="Neuropharmacology 2027", level=1)).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("Students join with the code")
    page.get_by_label("Add a deck").select_option(label="Spasticity drugs")
    page.locator("form", has=page.get_by_label("Add a deck")).get_by_role("button", name="Add").click()
    expect(page.locator(".messages")).to_contain_text("Spasticity drugs added")
    axe.check(page, "course page")
    course = Course.objects.get(title="Neuropharmacology 2027")

    # Write a single-best-answer question; the preview follows the typing.
    page.goto(f"{base_url}/teach/decks/{deck.pk}/")
    axe.check(page, "deck page (new deck)")
    page.get_by_role("link", name="Single best answer").click()
    expect(page.get_by_role("heading", name="New question")).to_be_visible()
    axe.check(page, "question editor (empty)")
    preview = page.locator("#preview")
    expect(preview).to_contain_text("Fill in the question")
    page.get_by_label("Topic").select_option("mechanism")
    page.get_by_label("Prompt").fill(PROMPT)
    page.get_by_label("Choice 1", exact=True).fill("GABA-B receptors")
    page.get_by_label("Correct (choice 1)").check()
    page.get_by_label("Feedback for choice 1").fill("Right: baclofen is a GABA-B agonist.")
    page.get_by_label("Choice 2", exact=True).fill("GABA-A receptors")
    page.get_by_label("Feedback for choice 2").fill("That is where benzodiazepines act.")
    page.get_by_label("Choice 3", exact=True).fill("NMDA receptors")
    page.get_by_label("Feedback for choice 3").fill("Glutamate receptors; baclofen does not bind them.")
    page.get_by_label("Explanation").fill("Baclofen is a **GABA-B** agonist acting in the spinal cord.")
    expect(preview.locator("#prompt")).to_have_text(PROMPT)
    expect(preview.locator("label.choice")).to_have_count(3)
    expect(preview.locator(".feedback .explanation")).to_contain_text("GABA-B agonist")
    axe.check(page, "question editor with preview")
    screenshots(page, "question-editor")

    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("draft")
    question = Question.objects.get(deck=deck, prompt=PROMPT)
    assert question.status == Question.Status.DRAFT
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".messages")).to_contain_text("is now published")
    axe.check(page, "question editor (published)")
    question.refresh_from_db()
    assert question.status == Question.Status.PUBLISHED

    # A student of that course gets it in study.
    student = UserFactory(username="carla")
    enroll_student(user=student, course=course)
    student_context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    try:
        student_page = student_context.new_page()
        log_in(student_page, base_url, "carla", "correct-horse-battery", axe=axe)
        row = student_page.locator("table.decks tbody tr", has_text="Spasticity drugs")
        expect(row.locator("td.new")).to_have_text("1")
        row.get_by_role("link", name="Study now").click()
        expect(student_page.locator("#panel #prompt")).to_have_text(PROMPT)
        expect(student_page.locator("#panel label.choice")).to_have_count(3)
        axe.check(student_page, "study card (instructor's new question)")
    finally:
        student_context.close()


def upload_for_preview(page, base_url, deck, axe):
    """Deck page -> Import -> upload the GIFT file -> the dry-run preview."""
    page.goto(f"{base_url}/teach/decks/{deck.pk}/")
    axe.check(page, "deck page")
    page.get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", name=f"Import questions into {deck.title}")).to_be_visible()
    axe.check(page, "import form")
    page.get_by_label("Bank file").set_input_files(str(GIFT_SAMPLE))
    page.get_by_role("button", name="Preview the import").click()
    return page.locator("section[aria-labelledby=plan-heading]")


@pytest.mark.django_db(transaction=True)
def test_instructor_imports_gift_and_exports_apkg(page, base_url, axe, tmp_path):
    load_demo()
    deck = Deck.objects.get(slug="baclofen")
    before = deck.questions.count()
    log_in(page, base_url, *INSTRUCTOR, axe=axe)
    plan = upload_for_preview(page, base_url, deck, axe)
    expect(page.locator("#plan-heading")).to_contain_text("nothing is written yet")
    counts = [int(x) for x in plan.locator("ul.plan li strong").all_inner_texts()]
    created, updated, unchanged, to_review, skipped = counts
    assert (created, updated, unchanged, to_review, skipped) == (4, 0, 0, 0, 1), counts
    expect(plan).to_contain_text("numerical answers are not supported")
    assert deck.questions.count() == before, "the preview must not write anything"
    axe.check(page, "import preview")
    screenshots(page, "import-preview")

    plan.get_by_role("button", name="Import").click()
    expect(page.locator(".messages")).to_contain_text(f"Imported {GIFT_SAMPLE.name}")
    assert deck.questions.count() == before + created
    axe.check(page, "deck page after import")
    screenshots(page, "deck-page")

    page.locator("details.export-menu summary").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Anki deck (.apkg)").click()
    download = download_info.value
    assert download.suggested_filename == f"{deck.slug}.apkg"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert zipfile.is_zipfile(target)
    with zipfile.ZipFile(target) as apkg:
        assert any(name.startswith("collection.anki") for name in apkg.namelist()), apkg.namelist()


@pytest.mark.django_db(transaction=True)
def test_import_confirm_button_counts_the_questions_it_will_write(page, base_url, axe):
    load_demo()
    deck = Deck.objects.get(slug="baclofen")
    log_in(page, base_url, *INSTRUCTOR)
    plan = upload_for_preview(page, base_url, deck, axe)
    expect(plan.get_by_role("button", name="Import 4 questions")).to_be_visible(timeout=2_000)
