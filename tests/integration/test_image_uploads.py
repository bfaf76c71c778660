"""Images uploaded for authored text: each hostile upload refused or stripped, the good ones
re-encoded and stored once, and alt text required (issue 19, "Images and tables")."""

import io
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from cards.errors import InvalidInput
from cards.models import QuestionImage
from cards.services import media
from tests.conftest import api_for
from tests.images import jpeg_bytes, png_bytes, webp_bytes

pytestmark = pytest.mark.django_db

URL = "/api/v1/teach/images/"
SCRIPT = b"<script>alert(document.cookie)</script>"


def upload(data: bytes, name="picture.png", alt="A red square", *, user):
    return media.upload_image(upload=SimpleUploadedFile(name, data), alt=alt, user=user)


def stored(image: QuestionImage) -> bytes:
    return media.image_bytes(image.name)


def test_png_jpeg_and_webp_are_stored_re_encoded_under_their_digest(media_root, instructor):
    for data, ext in ((png_bytes(), "png"), (jpeg_bytes(), "jpg"), (webp_bytes(), "webp")):
        uploaded = upload(data, f"x.{ext}", user=instructor)
        image = uploaded.image
        assert image.name.endswith(f".{ext}") and (image.width, image.height) == (40, 30)
        assert uploaded.markdown == f"![A red square](img:{image.name})"
        assert default_storage.exists(f"question-images/{image.name}")
        assert (media_root / "question-images" / image.name).is_file()
    again = upload(png_bytes(), "copy.png", user=instructor)
    assert QuestionImage.objects.filter(name=again.image.name).count() == 1  # one picture, one row


def test_a_png_with_a_script_in_a_text_chunk_is_stripped(media_root, instructor):
    hostile = png_bytes(text={"Comment": SCRIPT.decode(), "Software": "evil"})
    assert SCRIPT in hostile
    image = upload(hostile, user=instructor).image
    data = stored(image)
    assert SCRIPT not in data and b"tEXt" not in data and b"evil" not in data
    with Image.open(io.BytesIO(data)) as reread:
        assert reread.info == {} or set(reread.info) <= {"dpi", "gamma"}
        assert reread.getpixel((0, 0)) == (200, 30, 30)


def test_jpeg_exif_is_dropped(media_root, instructor):
    exif = Image.Exif()
    exif[0x010E] = SCRIPT.decode()  # ImageDescription
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(out, "JPEG", exif=exif)
    data = stored(upload(out.getvalue(), "photo.jpg", user=instructor).image)
    assert SCRIPT not in data and b"Exif" not in data


def test_an_svg_is_refused(media_root, instructor):
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    with pytest.raises(InvalidInput) as refused:
        upload(svg, "structure.svg", user=instructor)
    assert refused.value.code == "svg_refused" and refused.value.field == "image"
    assert "SVG" in refused.value.message
    assert not QuestionImage.objects.exists()


class HugeUpload:
    """An upload that says it is 50 MB and fails the test if anything reads it."""

    name = "huge.png"
    size = 50 * 1024 * 1024

    def read(self, *args):
        raise AssertionError("a 50 MB upload was read")

    def chunks(self, *args):
        raise AssertionError("a 50 MB upload was read")


def test_a_50_mb_file_is_refused_before_it_is_read(media_root, instructor):
    with pytest.raises(InvalidInput) as refused:
        media.upload_image(upload=HugeUpload(), alt="Big", user=instructor)
    assert refused.value.code == "image_too_large" and "52,428,800 bytes" in refused.value.message


def test_a_50_mb_request_is_refused_by_the_api_before_its_body_is_parsed(media_root, instructor, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the body was parsed")

    monkeypatch.setattr("rest_framework.parsers.MultiPartParser.parse", never)
    body = png_bytes() + b"\0" * (50 * 1024 * 1024)
    response = api_for(instructor).post(URL, {"image": SimpleUploadedFile("big.png", body), "alt": "Big"})
    assert response.status_code == 413
    assert response.json()["code"] == "image_too_large"
    assert not QuestionImage.objects.exists()


def test_a_polyglot_loses_what_was_appended(media_root, instructor):
    appended = io.BytesIO()
    with zipfile.ZipFile(appended, "w") as bundle:
        bundle.writestr("evil.html", "<html><script>alert(1)</script></html>")
    polyglot = jpeg_bytes() + appended.getvalue() + b"<html>" + SCRIPT
    image = upload(polyglot, "poly.jpg", user=instructor).image
    data = stored(image)
    assert data.endswith(b"\xff\xd9")  # the JPEG's end marker is the file's end
    assert b"PK\x03\x04" not in data and SCRIPT not in data and b"<html>" not in data


@pytest.mark.parametrize(
    ("side", "words"),
    [
        (20000, "too large to open safely"),  # 400 million pixels: Pillow's own guard, at open
        (5000, "5000 x 5000 pixels"),  # 25 million: under Pillow's guard, over ours
    ],
)
def test_a_decompression_bomb_is_refused_before_its_pixels_are_decoded(media_root, instructor, side, words):
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG")  # a small file that unpacks to megapixels
    assert len(out.getvalue()) < media.MAX_IMAGE_BYTES
    with pytest.raises(InvalidInput) as refused:
        upload(out.getvalue(), "bomb.png", user=instructor)
    assert refused.value.code == "image_too_large" and words in refused.value.message


def test_a_damaged_or_foreign_file_is_refused_clearly(media_root, instructor):
    for data, words in ((png_bytes()[:60], "damaged"), (b"GIF89a" + b"\0" * 40, "Not a PNG, JPEG or WebP")):
        with pytest.raises(InvalidInput) as refused:
            upload(data, user=instructor)
        assert words in refused.value.message and refused.value.field == "image"


def test_an_image_without_alt_text_is_refused(media_root, instructor):
    with pytest.raises(InvalidInput) as refused:
        upload(png_bytes(), alt="  ", user=instructor)
    assert refused.value.field == "alt" and "Alt text is required" in refused.value.message
    assert not QuestionImage.objects.exists()


def test_the_api_upload_answers_the_markdown_to_insert(media_root, instructor):
    response = api_for(instructor).post(
        URL, {"image": SimpleUploadedFile("graph.png", png_bytes()), "alt": "Dose-response [curve]"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["markdown"] == f"![Dose-response \\[curve\\]](img:{body['name']})"
    assert body["url"] == f"/media/question-images/{body['name']}"
    assert (body["width"], body["height"], body["content_type"]) == (40, 30, "image/png")


def test_the_api_names_the_field_of_a_refused_upload(media_root, instructor):
    client = api_for(instructor)
    no_alt = client.post(URL, {"image": SimpleUploadedFile("graph.png", png_bytes()), "alt": ""})
    assert no_alt.status_code == 400 and no_alt.json()["fields"].keys() == {"alt"}
    svg = client.post(URL, {"image": SimpleUploadedFile("x.svg", b"<svg></svg>"), "alt": "x"})
    assert svg.status_code == 400 and svg.json() == {
        "code": "svg_refused",
        "detail": "SVG images are not accepted (they can carry scripts): export it as PNG.",
        "field": "image",
    }


def test_students_cannot_upload(media_root, student):
    response = api_for(student).post(URL, {"image": SimpleUploadedFile("g.png", png_bytes()), "alt": "x"})
    assert response.status_code == 403 and not QuestionImage.objects.exists()


def test_the_upload_url_is_the_api_route():
    assert reverse("api:teach_images") == URL
