"""Server-rendered SVG charts, pure: no Django, no JavaScript, no external assets.

Each function returns markup as a string. Every text value in it (labels come from authored
topic names) has been escaped here, so a template may output it as is (`mark_safe`).

Accessibility: the `<svg>` has role="img" and is labelled by its `<title>` and `<desc>`; the
desc says in words what the chart shows (highest, total, latest), and `data_table` renders
the same data as a table for screen readers. Charts scale to their container's width (the
viewBox keeps the proportions) and use large labels, few enough not to overlap, so they stay
readable on a phone. Colours are presentation attributes, which any CSS rule on the classes
`chart-bar`, `chart-line`, `chart-axis`, `chart-grid`, `chart-label`, `chart-track`
overrides (e.g. for a dark theme).
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections.abc import Callable, Sequence

SVG_NS = "http://www.w3.org/2000/svg"

FONT_SIZE = 18  # in viewBox units: a 640-wide chart shown 360 px wide still has ~10 px text
CHAR_WIDTH = 0.62  # average glyph width as a share of the font size, for layout estimates
MAX_X_LABELS = 10
MAX_LABEL_CHARS = 16  # longer axis labels are cut with "…" (the bar's tooltip has them whole)
Y_STEPS = 4  # about this many steps on the value axis (at most one more)
NO_DATA = "No data"
PLOT_RIGHT_MARGIN = 12

# Defaults (CSS on the classes overrides them). Bars and lines have >= 3:1 contrast on white.
BAR_FILL = "#2563eb"
HIGHLIGHT_FILL = "#b45309"
LINE_STROKE = "#2563eb"
AXIS_STROKE = "#6b7280"
GRID_STROKE = "#e5e7eb"
LABEL_FILL = "#374151"
TRACK_FILL = "#e5e7eb"

# Characters XML 1.0 does not allow at all (html.escape leaves them alone).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Formatter = Callable[[float], str]


# --- formatting ------------------------------------------------------------------------


class Markup(str):
    """Chart markup: every text in it is escaped here, so templates may output it as is
    (Django's escaping honours __html__; no Django import needed in this pure module)."""

    def __html__(self) -> str:
        return self


def format_number(value: float) -> str:
    """1234 -> '1,234'; 0.875 -> '0.88'; 12.5 -> '12.5'."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def format_percent(fraction: float) -> str:
    """0.734 -> '73%'."""
    return f"{fraction * 100:.0f}%"


def _esc(text: object) -> str:
    return html.escape(_XML_INVALID.sub("", str(text)), quote=True)


def _n(value: float) -> str:
    """A coordinate: at most 2 decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(1, limit - 1)] + "…"


def _text_width(text: str) -> float:
    return len(text) * CHAR_WIDTH * FONT_SIZE


def _clean(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


# --- shared pieces ---------------------------------------------------------------------


def _chart_id(kind: str, title: str, data: object, chart_id: str) -> str:
    """An id for aria-labelledby, unique per page as long as charts differ in title or data.
    Derived from them (no counters, no randomness) so the output is deterministic."""
    if chart_id:
        cleaned = re.sub(r"[^A-Za-z0-9_-]", "-", chart_id)
        return cleaned if cleaned[0].isalpha() else f"chart-{cleaned}"
    digest = hashlib.blake2s(repr((kind, title, data)).encode(), digest_size=5).hexdigest()
    return f"chart-{digest}"


def _svg_open(cid: str, kind: str, width: int, height: int, title: str, desc: str) -> str:
    return (
        f'<svg xmlns="{SVG_NS}" class="chart chart-{kind}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" font-family="system-ui, sans-serif" font-size="{FONT_SIZE}">'
        f'<title id="{cid}-title">{_esc(title)}</title>'
        f'<desc id="{cid}-desc">{_esc(desc)}</desc>'
    )


def _no_data(width: int, height: int) -> str:
    return (
        f'<text class="chart-label chart-empty" x="{_n(width / 2)}" y="{_n(height / 2)}" '
        f'text-anchor="middle" dominant-baseline="middle" fill="{LABEL_FILL}">{NO_DATA}</text>'
    )


def _check_size(width: int, height: int) -> None:
    if width < 120 or height < 80:
        raise ValueError("a chart needs at least 120 x 80 units")


def _nice_step(raw: float, integers: bool) -> float:
    """The smallest 1, 2, 2.5 or 5 x 10^k that is >= raw (>= 1 when the values are counts)."""
    if raw <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        step = multiple * magnitude
        if step >= raw - 1e-12 and (not integers or (step >= 1 and step.is_integer())):
            return step
    return 10 * magnitude


def _value_scale(peak: float, y_max: float | None, integers: bool) -> tuple[float, list[float]]:
    """(top of the axis, tick values from 0). With y_max the axis ends there exactly."""
    if y_max is not None and y_max > 0:
        step = _nice_step(y_max / Y_STEPS, integers=False)
        ticks = [round(i * step, 10) for i in range(int(y_max / step + 1e-9) + 1)]
        if not math.isclose(ticks[-1], y_max):
            ticks.append(y_max)
        return y_max, ticks
    step = _nice_step(peak / (Y_STEPS + 1), integers)
    steps = max(1, math.ceil(peak / step - 1e-9))
    return steps * step, [round(i * step, 10) for i in range(steps + 1)]


def _label_indices(labels: Sequence[str], plot_width: float) -> list[int]:
    """Which x labels to draw: evenly spaced, always the last one (the latest day), at most
    MAX_X_LABELS, and far enough apart not to overlap, even after the last one is pulled
    left to stay inside the chart."""
    n = len(labels)
    if n == 0:
        return []
    slot = plot_width / n
    label_px = max(_text_width(_truncate(label, MAX_LABEL_CHARS)) for label in labels)
    overshoot = max(0.0, label_px / 2 - PLOT_RIGHT_MARGIN - slot / 2)
    step = max(math.ceil(n / MAX_X_LABELS), math.ceil((label_px + FONT_SIZE + overshoot) / slot))
    return [i for i in range(n) if (n - 1 - i) % step == 0]


def _frame(width: int, height: int, tick_texts: Sequence[str], y_label: str) -> tuple[float, float, float, float]:
    """(left, top, plot width, plot height): room for the y label above, tick labels left,
    x labels below."""
    left = max(_text_width(t) for t in tick_texts) + 12 if tick_texts else 12
    top = 2 * FONT_SIZE + 8 if y_label else FONT_SIZE
    bottom = FONT_SIZE + 14
    plot_w, plot_h = width - left - PLOT_RIGHT_MARGIN, height - top - bottom
    if plot_w < 40 or plot_h < 30:
        raise ValueError("too small for the labels: pass a larger width or height")
    return left, top, plot_w, plot_h


def _axes(
    *,
    width: int,
    left: float,
    top: float,
    plot_w: float,
    plot_h: float,
    ticks: Sequence[float],
    scale_top: float,
    fmt: Formatter,
    labels: Sequence[str],
    y_label: str,
) -> list[str]:
    parts = []
    if y_label:
        parts.append(
            f'<text class="chart-label chart-y-label" x="0" y="{FONT_SIZE}" fill="{LABEL_FILL}">{_esc(y_label)}</text>'
        )
    parts.append('<g class="chart-y-axis">')
    for tick in ticks:
        y = top + plot_h - tick / scale_top * plot_h
        parts.append(
            f'<line class="chart-grid" x1="{_n(left)}" x2="{_n(left + plot_w)}" y1="{_n(y)}" y2="{_n(y)}" '
            f'stroke="{GRID_STROKE}"/>'
            f'<text class="chart-label" x="{_n(left - 6)}" y="{_n(y)}" text-anchor="end" '
            f'dominant-baseline="middle" fill="{LABEL_FILL}">{_esc(fmt(tick))}</text>'
        )
    parts.append("</g>")
    baseline = top + plot_h
    parts.append(
        f'<line class="chart-axis" x1="{_n(left)}" x2="{_n(left + plot_w)}" y1="{_n(baseline)}" y2="{_n(baseline)}" '
        f'stroke="{AXIS_STROKE}"/>'
    )
    parts.append('<g class="chart-x-axis">')
    slot = plot_w / len(labels)
    for i in _label_indices(labels, plot_w):
        text = _truncate(labels[i], MAX_LABEL_CHARS)
        half = _text_width(text) / 2
        x = min(max(left + (i + 0.5) * slot, half), width - half)  # keep it inside the viewBox
        parts.append(
            f'<text class="chart-label" x="{_n(x)}" y="{_n(baseline + FONT_SIZE + 6)}" text-anchor="middle" '
            f'fill="{LABEL_FILL}">{_esc(text)}</text>'
        )
    parts.append("</g>")
    return parts


def _series_desc(y_label: str, labels: Sequence[str], values: Sequence[float | None], fmt: Formatter) -> list[str]:
    known = [(label, v) for label, v in zip(labels, values, strict=True) if v is not None]
    count = f"{len(labels)} values" if len(labels) != 1 else "1 value"
    lead = f"{y_label}: {count}" if y_label else count.capitalize()
    span = f" from {labels[0]} to {labels[-1]}." if len(labels) > 1 else f" for {labels[0]}."
    high_label, high = max(known, key=lambda row: row[1])
    return [lead + span, f"Highest: {fmt(high)} on {high_label}"]


# --- charts ----------------------------------------------------------------------------


def bar_chart(
    points: Sequence[tuple[str, float]],
    *,
    title: str,
    y_label: str = "",
    width: int = 640,
    height: int = 220,
    highlight_last: bool = False,
    value_format: Formatter = format_number,
    chart_id: str = "",
) -> Markup:
    """Vertical bars, e.g. reviews per day. For counts: negative values are drawn as 0, and
    no points or all zero (nothing happened) shows "No data". `highlight_last` colours the
    last bar (today) differently. Bars are proportional to their values from a zero baseline.
    """
    _check_size(width, height)
    labels = [str(label) for label, _ in points]
    values = [_clean(v) for _, v in points]
    known = [v for v in values if v is not None]
    cid = _chart_id("bar", title, points, chart_id)
    peak = max(known, default=0.0)
    if peak <= 0:
        return Markup(_svg_open(cid, "bar", width, height, title, f"{NO_DATA}.") + _no_data(width, height) + "</svg>")

    desc = _series_desc(y_label, labels, values, value_format)
    desc[-1] += f"; total {value_format(sum(v for v in known if v > 0))}."
    last = values[-1]
    if len(labels) > 1:
        desc.append(f"Latest: {value_format(last) if last is not None else 'no data'} on {labels[-1]}.")

    integers = all(v.is_integer() for v in known)
    scale_top, ticks = _value_scale(peak, None, integers)
    left, top, plot_w, plot_h = _frame(width, height, [value_format(t) for t in ticks], y_label)
    parts = [_svg_open(cid, "bar", width, height, title, " ".join(desc))]
    parts += _axes(
        width=width,
        left=left,
        top=top,
        plot_w=plot_w,
        plot_h=plot_h,
        ticks=ticks,
        scale_top=scale_top,
        fmt=value_format,
        labels=labels,
        y_label=y_label,
    )
    slot = plot_w / len(values)
    gap = min(4.0, slot * 0.25)
    parts.append('<g class="chart-bars">')
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        if value is None:
            continue
        bar_h = max(0.0, value) / scale_top * plot_h
        current = highlight_last and i == len(values) - 1
        css = "chart-bar chart-bar-current" if current else "chart-bar"
        parts.append(
            f'<rect class="{css}" x="{_n(left + i * slot + gap / 2)}" y="{_n(top + plot_h - bar_h)}" '
            f'width="{_n(slot - gap)}" height="{_n(bar_h)}" fill="{HIGHLIGHT_FILL if current else BAR_FILL}">'
            f"<title>{_esc(label)}: {_esc(value_format(value))}</title></rect>"
        )
    parts.append("</g></svg>")
    return Markup("".join(parts))


def line_chart(
    points: Sequence[tuple[str, float | None]],
    *,
    title: str,
    y_label: str,
    y_max: float | None = None,
    width: int = 640,
    height: int = 220,
    value_format: Formatter = format_number,
    chart_id: str = "",
) -> Markup:
    """A line over the points, e.g. retention per week. A None value (no reviews that week)
    breaks the line rather than drawing a false 0. The axis runs from 0 to `y_max` when given
    (values outside 0..y_max are drawn at the edge), else to a round number above the highest value.
    Zeros are data here (0% retention); only no values at all shows "No data".
    """
    _check_size(width, height)
    labels = [str(label) for label, _ in points]
    values = [_clean(v) for _, v in points]
    known = [v for v in values if v is not None]
    cid = _chart_id("line", title, points, chart_id)
    if not known:
        return Markup(_svg_open(cid, "line", width, height, title, f"{NO_DATA}.") + _no_data(width, height) + "</svg>")

    desc = _series_desc(y_label, labels, values, value_format)
    low_label, low = min(
        ((label, v) for label, v in zip(labels, values, strict=True) if v is not None), key=lambda row: row[1]
    )
    desc[-1] += f"; lowest: {value_format(low)} on {low_label}."
    last = values[-1]
    if len(labels) > 1:
        desc.append(f"Latest: {value_format(last) if last is not None else 'no data'} on {labels[-1]}.")
    missing = len(values) - len(known)
    if missing:
        desc.append(f"No data for {missing} of {len(values)}.")

    integers = all(v.is_integer() for v in known)
    scale_top, ticks = _value_scale(max(max(known), 0.0), y_max, integers)
    left, top, plot_w, plot_h = _frame(width, height, [value_format(t) for t in ticks], y_label)
    parts = [_svg_open(cid, "line", width, height, title, " ".join(desc))]
    parts += _axes(
        width=width,
        left=left,
        top=top,
        plot_w=plot_w,
        plot_h=plot_h,
        ticks=ticks,
        scale_top=scale_top,
        fmt=value_format,
        labels=labels,
        y_label=y_label,
    )
    slot = plot_w / len(values)

    def xy(i: int, value: float) -> tuple[float, float]:
        clamped = min(max(value, 0.0), scale_top)
        return left + (i + 0.5) * slot, top + plot_h - clamped / scale_top * plot_h

    # Runs of consecutive known values, each drawn as one polyline.
    runs: list[list[int]] = []
    for i, value in enumerate(values):
        if value is None:
            continue
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    parts.append('<g class="chart-lines">')
    for run in runs:
        if len(run) > 1:
            coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in (xy(i, values[i]) for i in run))
            parts.append(
                f'<polyline class="chart-line" points="{coords}" fill="none" stroke="{LINE_STROKE}" '
                f'stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"/>'
            )
    parts.append("</g>")
    # Dots: on every point when few, else only where a line cannot show it (lone points) and
    # on the latest value.
    lone = {run[0] for run in runs if len(run) == 1}
    parts.append('<g class="chart-points">')
    for i, value in enumerate(values):
        if value is None or not (len(values) <= 40 or i in lone or i == len(values) - 1):
            continue
        x, y = xy(i, value)
        parts.append(
            f'<circle class="chart-point" cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="{LINE_STROKE}">'
            f"<title>{_esc(labels[i])}: {_esc(value_format(value))}</title></circle>"
        )
    parts.append("</g></svg>")
    return Markup("".join(parts))


def percent_bars(
    rows: Sequence[tuple[str, float | None]],
    *,
    title: str,
    width: int = 640,
    row_height: int = 32,
    chart_id: str = "",
) -> Markup:
    """Horizontal bars from 0 to 100%, one row each, e.g. mastery per topic. Fractions are
    clamped to 0..1; None is written "no data" (no bar). The height follows the row count.
    """
    labels = [str(label) for label, _ in rows]
    values = [_clean(v) for _, v in rows]
    values = [None if v is None else min(max(v, 0.0), 1.0) for v in values]
    cid = _chart_id("percent", title, rows, chart_id)
    bottom = FONT_SIZE + 18
    top = 8
    height = max(80, top + len(rows) * row_height + bottom)
    _check_size(width, height)
    if not rows:
        return Markup(
            _svg_open(cid, "percent", width, height, title, f"{NO_DATA}.") + _no_data(width, height) + "</svg>"
        )

    known = [(label, v) for label, v in zip(labels, values, strict=True) if v is not None]
    desc = [f"{len(rows)} rows." if len(rows) != 1 else "1 row."]
    if known:
        high_label, high = max(known, key=lambda row: row[1])
        low_label, low = min(known, key=lambda row: row[1])
        desc.append(f"Highest: {high_label} {format_percent(high)}; lowest: {low_label} {format_percent(low)}.")
    if len(known) < len(rows):
        desc.append(f"No data for {len(rows) - len(known)}.")

    # Label column up to 40% of the width; value text ("100%", "no data") on the right.
    label_col = min(width * 0.4, max(_text_width(_truncate(label, 24)) for label in labels) + 12)
    label_chars = max(4, int((label_col - 12) / (CHAR_WIDTH * FONT_SIZE)))
    value_col = _text_width("no data") + 12
    track_x = label_col
    track_w = width - label_col - value_col
    if track_w < 40:
        raise ValueError("too narrow for the labels: pass a larger width")
    bar_h = min(row_height - 8, 20)

    parts = [_svg_open(cid, "percent", width, height, title, " ".join(desc))]
    axis_y = top + len(rows) * row_height
    parts.append('<g class="chart-x-axis">')
    for tick in (0, 0.25, 0.5, 0.75, 1):
        x = track_x + tick * track_w
        parts.append(
            f'<line class="chart-grid" x1="{_n(x)}" x2="{_n(x)}" y1="{top}" y2="{_n(axis_y)}" stroke="{GRID_STROKE}"/>'
            f'<text class="chart-label" x="{_n(x)}" y="{_n(axis_y + FONT_SIZE + 4)}" text-anchor="middle" '
            f'fill="{LABEL_FILL}">{format_percent(tick)}</text>'
        )
    parts.append("</g>")
    parts.append('<g class="chart-bars">')
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        mid = top + (i + 0.5) * row_height
        bar_y = mid - bar_h / 2
        shown = "no data" if value is None else format_percent(value)
        parts.append(
            f'<text class="chart-label" x="0" y="{_n(mid)}" dominant-baseline="middle" fill="{LABEL_FILL}">'
            f"<title>{_esc(label)}</title>{_esc(_truncate(label, label_chars))}</text>"
            f'<rect class="chart-track" x="{_n(track_x)}" y="{_n(bar_y)}" width="{_n(track_w)}" height="{_n(bar_h)}" '
            f'fill="{TRACK_FILL}"/>'
        )
        if value is not None:
            parts.append(
                f'<rect class="chart-bar" x="{_n(track_x)}" y="{_n(bar_y)}" width="{_n(value * track_w)}" '
                f'height="{_n(bar_h)}" fill="{BAR_FILL}"><title>{_esc(label)}: {shown}</title></rect>'
            )
        parts.append(
            f'<text class="chart-label chart-value" x="{_n(track_x + track_w + 8)}" y="{_n(mid)}" '
            f'dominant-baseline="middle" fill="{LABEL_FILL}">{shown}</text>'
        )
    parts.append(
        f'<line class="chart-axis" x1="{_n(track_x)}" x2="{_n(track_x)}" y1="{top}" y2="{_n(axis_y)}" '
        f'stroke="{AXIS_STROKE}"/>'
    )
    parts.append("</g></svg>")
    return Markup("".join(parts))


def data_table(
    points: Sequence[tuple[str, float | None]],
    *,
    caption: str,
    headers: Sequence[str],
    visible: bool = False,
    value_format: Formatter = format_number,
) -> Markup:
    """The chart's data as an HTML table (label, value) for screen readers: hidden visually
    with class "sr-only" unless `visible` (then class "chart-table"). None is "no data"; pass
    `value_format=format_percent` for fractions."""
    if len(headers) != 2:
        raise ValueError("headers: one for the labels, one for the values")
    css = "chart-table" if visible else "sr-only"
    parts = [
        f'<table class="{css}"><caption>{_esc(caption)}</caption>',
        f'<thead><tr><th scope="col">{_esc(headers[0])}</th><th scope="col">{_esc(headers[1])}</th></tr></thead>',
        "<tbody>",
    ]
    for label, value in points:
        clean = _clean(value)
        shown = "no data" if clean is None else value_format(clean)
        parts.append(f'<tr><th scope="row">{_esc(label)}</th><td>{_esc(shown)}</td></tr>')
    if not points:
        parts.append(f'<tr><td colspan="2">{NO_DATA}</td></tr>')
    parts.append("</tbody></table>")
    return Markup("".join(parts))
