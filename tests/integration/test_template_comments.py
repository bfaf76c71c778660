"""Django's {# #} comments end on their line: one left open is printed on the page."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_template_comment_spans_lines():
    unclosed = []
    for path in [*ROOT.glob("cards/templates/**/*.html"), *ROOT.glob("quizapp/templates/**/*.html")]:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if line.count("{#") > line.count("#}"):
                unclosed.append(f"{path.relative_to(ROOT)}:{number}")
    assert unclosed == []
