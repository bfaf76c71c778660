"""An instructor places a structure in a question with the editor's Image button: the upload
needs alt text, the Markdown goes where the cursor was, the preview shows the image, and an
SVG is refused with the reason on the page (issue 19, "Images and tables")."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cards.models import QuestionImage
from cards.services.accounts import make_instructor
from tests.e2e.support import log_in
from tests.factories import DeckFactory, TopicFactory, UserFactory
from tests.images import png_bytes


@pytest.mark.django_db(transaction=True)
def test_the_image_button_uploads_and_inserts_the_markdown(page, base_url, media_root, axe):
    teacher = UserFactory(username="imager", password="imager-pass-123")
    make_instructor(teacher)
    deck = DeckFactory(slug="structures", title="Structures", owner=teacher)
    TopicFactory(slug="anticholinergics", name="Anticholinergics")
    log_in(page, base_url, "imager", "imager-pass-123")
    page.goto(f"{base_url}/teach/decks/{deck.pk}/questions/new/?kind=flashcard")
    axe.check(page, "question editor with the image section")

    page.get_by_label("Topic").select_option(label="Anticholinergics")
    page.locator("#id_back").fill("Atropine")
    page.get_by_label("Prompt").fill("Name this drug: ")
    page.get_by_role("button", name="Upload and insert").click()
    expect(page.get_by_role("status")).to_contain_text("Choose an image file first")

    page.get_by_label("Image file").set_input_files(
        files=[{"name": "atropine.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    page.get_by_role("button", name="Upload and insert").click()
    expect(page.get_by_role("status")).to_contain_text("Alt text is required")
    assert not QuestionImage.objects.exists()

    page.get_by_label("Prompt").click()
    page.get_by_label("Alt text (required").fill("Atropine's structure")
    page.get_by_role("button", name="Upload and insert").click()
    expect(page.get_by_role("status")).to_contain_text("Inserted into Prompt")
    name = QuestionImage.objects.get().name
    expect(page.get_by_label("Prompt")).to_have_value(f"Name this drug: ![Atropine's structure](img:{name})")
    preview_image = page.locator("#preview img")
    expect(preview_image).to_have_attribute("src", f"/media/question-images/{name}")
    expect(preview_image).to_have_attribute("alt", "Atropine's structure")

    page.get_by_label("Image file").set_input_files(
        files=[{"name": "x.svg", "mimeType": "image/svg+xml", "buffer": b"<svg><script>alert(1)</script></svg>"}]
    )
    page.get_by_label("Alt text (required").fill("A structure")
    page.get_by_role("button", name="Upload and insert").click()
    expect(page.get_by_role("status")).to_contain_text("SVG images are not accepted")
    assert QuestionImage.objects.count() == 1
