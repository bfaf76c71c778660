"""The parts the charts (cards.core.charts) are drawn with: escaping, number formats, scales,
axes and the SVG frame. Pure Python."""

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
