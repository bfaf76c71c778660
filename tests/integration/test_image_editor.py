"""The question editor with images and tables: the upload button is on the page, a question
placing an uploaded image with alt text saves and shows it, one without alt text or placing
an image that is not uploaded is refused at its field."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cards.models import Question
from cards.services import media
from tests.images import png_bytes
from tests.integration.test_authoring import my_deck, single_post  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def structure(media_root, instructor):
    return media.upload_image(
        upload=SimpleUploadedFile("atropine.png", png_bytes()), alt="Atropine's structure", user=instructor
    )


def test_the_editor_offers_the_image_button(instructor_client, my_deck):  # noqa: F811
    html = instructor_client.get(reverse("cards:question_new", args=[my_deck.pk])).content.decode()
    assert 'data-upload-url="/api/v1/teach/images/"' in html
    assert '<label for="image-alt">Alt text (required' in html and 'id="image-file"' in html


def test_a_question_with_an_image_and_a_table_saves_and_previews(instructor_client, my_deck, structure):  # noqa: F811
    prompt = f"Which drug is this?\n\n{structure.markdown}"
    explanation = "| Drug | Receptor |\n|---|---|\n| atropine | muscarinic |"
    response = instructor_client.post(
        reverse("cards:question_new", args=[my_deck.pk]), single_post(prompt=prompt, explanation=explanation)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    question = Question.objects.get(prompt=prompt)
    page = instructor_client.get(reverse("cards:question_edit", args=[question.pk])).content.decode()
    src = f"/media/question-images/{structure.image.name}"
    assert f'<img src="{src}" alt="Atropine&#39;s structure" class="authored">' in page or (
        f'<img src="{src}" alt="Atropine\'s structure" class="authored">' in page
    )
    assert '<table class="authored">' in page and "<td>muscarinic</td>" in page


def test_the_page_allows_images_from_the_site_only(instructor_client, my_deck):  # noqa: F811
    response = instructor_client.get(reverse("cards:question_new", args=[my_deck.pk]))
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["img-src"] == "'self' data:"  # data: for the API docs' icons; authored text never makes one


def test_an_image_without_alt_text_is_refused_at_its_field(instructor_client, my_deck, structure):  # noqa: F811
    bare = f"![](img:{structure.image.name})"
    response = instructor_client.post(
        reverse("cards:question_new", args=[my_deck.pk]), single_post(explanation=f"See {bare}")
    )
    assert response.status_code == 200
    assert "needs alt text" in response.content.decode()
    assert not Question.objects.filter(explanation__contains=bare).exists()


def test_an_image_not_uploaded_here_is_refused_and_one_from_elsewhere_shows_its_alt_text(
    instructor_client,
    my_deck,  # noqa: F811
    media_root,
):
    url = reverse("cards:question_new", args=[my_deck.pk])
    unknown = instructor_client.post(url, single_post(prompt=f"What? ![A graph](img:{'d' * 64}.png)"))
    assert "is not uploaded here" in unknown.content.decode()
    assert not Question.objects.filter(prompt__startswith="What?").exists()
    external = instructor_client.post(url, single_post(prompt="Where? ![A graph](https://example.org/g.png)"))
    assert external.status_code == 302
    question = Question.objects.get(prompt__startswith="Where?")
    page = instructor_client.get(reverse("cards:question_edit", args=[question.pk])).content.decode()
    assert "example.org/g.png" not in page.split('id="preview"')[1]  # never fetched: only its alt text
    assert "Where? A graph" in page
