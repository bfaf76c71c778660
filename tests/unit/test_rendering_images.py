"""Markdown tables and images in authored text: tables render, images render only as uploaded
images under the media prefix, with their alt text; nothing else gets an <img>."""

from cards.core.images import image_names, image_problems, rename_images
from cards.core.rendering import image_url_prefix, render_markdown

NAME = "a" * 64 + ".png"


def test_a_table_renders_as_a_table():
    html = render_markdown("| Drug | EC50 |\n|---|---:|\n| atropine | 1 nM |\n| <script>x</script> | 2 |")
    assert '<table class="authored">' in html and "<th>Drug</th>" in html and "<td>atropine</td>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "style=" not in html  # alignment styles would break the CSP: dropped


def test_an_uploaded_image_renders_under_the_media_prefix_with_its_alt_text():
    html = render_markdown(f'See ![Atropine, a tropane "alkaloid"](img:{NAME}).')
    assert (
        f'<img src="{image_url_prefix()}{NAME}" alt="Atropine, a tropane &quot;alkaloid&quot;" class="authored">'
        in html
    )


def test_external_data_and_path_images_are_never_rendered():
    for target in (
        "https://evil.example/x.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "/media/question-images/../../etc/passwd",
        "javascript:alert(1)",
        f"img:../{NAME}",
    ):
        html = render_markdown(f"![shown as text]({target})")
        assert "<img" not in html, target
        assert "shown as text" in html


def test_raw_img_html_is_text_and_an_img_outside_the_prefix_is_dropped():
    assert "<img" not in render_markdown('<img src="x" onerror="alert(1)">')


def test_image_problems_name_an_uploaded_image_without_alt_text():
    assert image_problems(f"![Structure](img:{NAME})") == []
    (missing_alt,) = image_problems(f"![ ](img:{NAME})")
    assert "needs alt text" in missing_alt
    # An image from elsewhere is no error: it is never fetched, its alt text shows instead.
    assert image_problems("![Graph](https://example.org/graph.png)") == []


def test_image_names_and_renaming():
    other = "b" * 64 + ".jpg"
    text = f"![one](img:{NAME}) and ![two](img:{other}) and ![one again](img:{NAME})"
    assert image_names(text) == [NAME, other]
    renamed = rename_images(text, {NAME: "c" * 64 + ".png"})
    assert image_names(renamed) == ["c" * 64 + ".png", other]
    assert "one again" in renamed
