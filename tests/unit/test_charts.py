import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from cards.core.charts import (
    MAX_X_LABELS,
    bar_chart,
    data_table,
    format_number,
    format_percent,
    line_chart,
    percent_bars,
)

NS = {"svg": "http://www.w3.org/2000/svg"}
SCRIPT = "<script>alert('x')</script>"


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 - our own output, not untrusted XML


def _bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{{{NS['svg']}}}rect") if "chart-bar" in r.get("class", "").split()]


def _x_labels(root: ET.Element) -> list[str]:
    group = root.find("svg:g[@class='chart-x-axis']", NS)
    return [t.text for t in group.findall("svg:text", NS)]


def _days(n: int) -> list[tuple[str, float]]:
    start = date(2026, 1, 1)
    return [((start + timedelta(days=i)).isoformat(), float(i % 7)) for i in range(n)]


def _assert_accessible(root: ET.Element) -> None:
    assert root.tag == f"{{{NS['svg']}}}svg"
    assert root.get("role") == "img"
    assert root.get("viewBox", "").startswith("0 0 ")
    # Scaled to the screen by the stylesheet (svg.chart): the CSP allows no inline style.
    assert "chart" in root.get("class", "").split() and root.get("style") is None
    title = root.find("svg:title", NS)
    desc = root.find("svg:desc", NS)
    assert title is not None
    assert desc is not None
    assert title.text
    assert desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


CHARTS = [
    lambda: bar_chart([("Mon", 3), ("Tue", 5)], title="Reviews", y_label="Reviews"),
    lambda: line_chart([("W1", 0.8), ("W2", 0.9)], title="Retention", y_label="Retention", y_max=1),
    lambda: percent_bars([("Opioids", 0.7), ("Benzodiazepines", None)], title="Mastery"),
    lambda: bar_chart([], title="Reviews"),
    lambda: line_chart([], title="Retention", y_label=""),
    lambda: percent_bars([], title="Mastery"),
]


@pytest.mark.parametrize("make", CHARTS)
def test_charts_parse_as_xml_and_are_labelled(make):
    _assert_accessible(_parse(make()))


# --- bar chart -------------------------------------------------------------------------


def test_bar_heights_are_proportional():
    root = _parse(bar_chart([("a", 10), ("b", 20), ("c", 5)], title="Reviews"))
    heights = [float(r.get("height")) for r in _bars(root)]
    assert heights[1] == pytest.approx(2 * heights[0], abs=0.02)
    assert heights[2] == pytest.approx(heights[0] / 2, abs=0.02)
    # bars stand on the same baseline
    bottoms = {round(float(r.get("y")) + float(r.get("height")), 1) for r in _bars(root)}
    assert len(bottoms) == 1


def test_bar_chart_desc_summarises_the_data():
    points = [("2026-03-01", 12), ("2026-03-02", 34), ("2026-03-03", 5)]
    desc = _parse(bar_chart(points, title="Reviews per day")).find("svg:desc", NS).text
    assert "Highest: 34 on 2026-03-02; total 51." in desc
    assert "from 2026-03-01 to 2026-03-03" in desc
    assert "Latest: 5 on 2026-03-03." in desc


@pytest.mark.parametrize("points", [[], [("a", 0), ("b", 0)]])
def test_bar_chart_without_data_says_so(points):
    root = _parse(bar_chart(points, title="Reviews"))
    assert _bars(root) == []
    texts = [t.text for t in root.iter(f"{{{NS['svg']}}}text")]
    assert texts == ["No data"]
    assert root.find("svg:desc", NS).text == "No data."


def test_bar_chart_escapes_labels_and_title():
    markup = bar_chart([(SCRIPT, 3)], title=SCRIPT, y_label=SCRIPT)
    assert "<script>" not in markup
    assert "&lt;script&gt;" in markup
    root = _parse(markup)
    assert root.find("svg:title", NS).text == SCRIPT  # round-trips as text, never as markup
    assert root.find(".//svg:script", NS) is None


def test_ninety_points_get_few_x_labels_ending_with_the_latest():
    points = _days(90)
    labels = _x_labels(_parse(bar_chart(points, title="Reviews", y_label="Reviews")))
    assert 2 <= len(labels) <= MAX_X_LABELS
    assert labels[-1] == points[-1][0]


def test_short_labels_are_all_shown():
    labels = _x_labels(_parse(bar_chart([("M", 1), ("T", 2), ("W", 3)], title="Reviews")))
    assert labels == ["M", "T", "W"]


def test_highlight_last_marks_only_the_last_bar():
    root = _parse(bar_chart([("a", 1), ("b", 2), ("c", 3)], title="Reviews", highlight_last=True))
    classes = [r.get("class") for r in _bars(root)]
    assert classes == ["chart-bar", "chart-bar", "chart-bar chart-bar-current"]


def test_y_axis_ticks_are_round_numbers_covering_the_peak():
    root = _parse(bar_chart([("a", 34), ("b", 3)], title="Reviews"))
    ticks = [t.text for t in root.find("svg:g[@class='chart-y-axis']", NS).findall("svg:text", NS)]
    assert ticks == ["0", "10", "20", "30", "40"]


def test_ids_differ_between_charts_and_can_be_chosen():
    one = _parse(bar_chart([("a", 1)], title="One"))
    two = _parse(bar_chart([("a", 1)], title="Two"))
    assert one.get("aria-labelledby") != two.get("aria-labelledby")
    chosen = _parse(bar_chart([("a", 1)], title="One", chart_id="reviews chart"))
    assert chosen.find("svg:title", NS).get("id") == "reviews-chart-title"


def test_too_small_a_chart_is_refused():
    with pytest.raises(ValueError, match="at least"):
        bar_chart([("a", 1)], title="Reviews", width=50)


# --- line chart ------------------------------------------------------------------------


def _polylines(root: ET.Element) -> list[list[tuple[float, float]]]:
    lines = root.iter(f"{{{NS['svg']}}}polyline")
    return [[tuple(map(float, pair.split(","))) for pair in line.get("points").split()] for line in lines]


def test_line_chart_points_scale_to_y_max():
    root = _parse(line_chart([("W1", 0.5), ("W2", 1.0)], title="Retention", y_label="Retention", y_max=1))
    [[(_, y_half), (_, y_full)]] = _polylines(root)
    baseline = float(root.find("svg:line[@class='chart-axis']", NS).get("y1"))
    # 0.5 sits halfway between the baseline and 1.0
    assert baseline - y_half == pytest.approx((baseline - y_full) / 2, abs=0.02)


def test_line_chart_breaks_at_missing_values():
    points = [("W1", 0.7), ("W2", 0.8), ("W3", None), ("W4", 0.9), ("W5", 0.85)]
    root = _parse(line_chart(points, title="Retention", y_label="Retention", y_max=1, value_format=format_percent))
    assert [len(line) for line in _polylines(root)] == [2, 2]
    desc = root.find("svg:desc", NS).text
    assert "Highest: 90% on W4; lowest: 70% on W1." in desc
    assert "No data for 1 of 5." in desc


def test_line_chart_all_zero_is_data_not_an_error():
    root = _parse(line_chart([("W1", 0), ("W2", 0)], title="Retention", y_label="Retention"))
    assert len(_polylines(root)) == 1


def test_line_chart_without_values_says_no_data():
    root = _parse(line_chart([("W1", None)], title="Retention", y_label="Retention"))
    assert _polylines(root) == []
    assert [t.text for t in root.iter(f"{{{NS['svg']}}}text")] == ["No data"]


def test_line_chart_escapes_labels():
    markup = line_chart([(SCRIPT, 1), ("b", 2)], title="t", y_label=SCRIPT)
    assert "<script>" not in markup
    _parse(markup)


def test_line_chart_ninety_points_few_labels():
    labels = _x_labels(_parse(line_chart(_days(90), title="Reviews", y_label="Reviews")))
    assert 2 <= len(labels) <= MAX_X_LABELS


# --- percent bars ----------------------------------------------------------------------


def test_percent_bars_widths_proportional_and_no_data_row():
    rows = [("Opioids", 0.8), ("Antiepileptics", 0.4), ("Muscle relaxants", None)]
    root = _parse(percent_bars(rows, title="Mastery per topic"))
    widths = [float(r.get("width")) for r in _bars(root)]
    assert len(widths) == 2  # no bar for the row without data
    assert widths[0] == pytest.approx(2 * widths[1], abs=0.02)
    values = [t.text for t in root.iter(f"{{{NS['svg']}}}text") if "chart-value" in t.get("class", "")]
    assert values == ["80%", "40%", "no data"]
    desc = root.find("svg:desc", NS).text
    assert "Highest: Opioids 80%; lowest: Antiepileptics 40%." in desc
    assert "No data for 1." in desc


def test_percent_bars_clamp_fractions():
    root = _parse(percent_bars([("a", 1.5), ("b", -0.2)], title="Mastery"))
    tracks = [r for r in root.iter(f"{{{NS['svg']}}}rect") if r.get("class") == "chart-track"]
    widths = [float(r.get("width")) for r in _bars(root)]
    assert widths == [pytest.approx(float(tracks[0].get("width"))), 0.0]


def test_percent_bars_height_follows_rows_and_escapes_labels():
    few = _parse(percent_bars([("a", 0.1)] * 3, title="Mastery"))
    many = _parse(percent_bars([(SCRIPT, 0.1)] * 10, title="Mastery"))
    assert float(many.get("viewBox").split()[3]) > float(few.get("viewBox").split()[3])
    assert many.find(".//svg:script", NS) is None


def test_percent_bars_all_without_data_still_list_the_rows():
    root = _parse(percent_bars([("a", None), ("b", None)], title="Mastery"))
    assert _bars(root) == []
    values = [t.text for t in root.iter(f"{{{NS['svg']}}}text") if "chart-value" in t.get("class", "")]
    assert values == ["no data", "no data"]


# --- data table, formatting ------------------------------------------------------------


def test_data_table_is_screen_reader_only_by_default():
    markup = data_table(
        [("2026-03-01", 12), ("2026-03-02", None)], caption="Reviews per day", headers=("Day", "Reviews")
    )
    wrapper = _parse(markup)
    # The wrapper hides it: a table ignores the height and overflow that would (issue 17, item 12).
    assert (wrapper.tag, wrapper.get("class")) == ("div", "sr-only")
    table = wrapper.find("table")
    assert table.get("class") is None
    assert table.find("caption").text == "Reviews per day"
    assert [th.text for th in table.findall("thead/tr/th")] == ["Day", "Reviews"]
    assert [th.get("scope") for th in table.findall("thead/tr/th")] == ["col", "col"]
    rows = [(tr.find("th").text, tr.find("td").text) for tr in table.findall("tbody/tr")]
    assert rows == [("2026-03-01", "12"), ("2026-03-02", "no data")]


def test_data_table_visible_formatted_and_escaped():
    markup = data_table(
        [(SCRIPT, 0.5)], caption=SCRIPT, headers=("Topic", "Mastery"), visible=True, value_format=format_percent
    )
    assert "<script>" not in markup
    table = _parse(markup)
    assert table.get("class") == "chart-table"
    assert table.find("tbody/tr/th").text == SCRIPT
    assert table.find("tbody/tr/td").text == "50%"


def test_data_table_empty_and_bad_headers():
    table = _parse(data_table([], caption="Reviews", headers=("Day", "Reviews"))).find("table")
    assert table.find("tbody/tr/td").text == "No data"
    with pytest.raises(ValueError, match="headers"):
        data_table([], caption="Reviews", headers=("Day",))


@pytest.mark.parametrize(
    ("value", "expected"), [(1234, "1,234"), (3.0, "3"), (0.875, "0.88"), (12.5, "12.5"), (0, "0")]
)
def test_format_number(value, expected):
    assert format_number(value) == expected


def test_format_percent():
    assert format_percent(0.734) == "73%"
    assert format_percent(1) == "100%"
