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

from collections.abc import Collection, Sequence

from cards.core.chart_parts import (  # noqa: F401 - Markup and the formats are part of the charts' API
    AXIS_STROKE,
    BAR_FILL,
    CHAR_WIDTH,
    FONT_SIZE,
    GRID_STROKE,
    HIGHLIGHT_FILL,
    LABEL_FILL,
    LINE_STROKE,
    MAX_X_LABELS,
    NO_DATA,
    TRACK_FILL,
    Formatter,
    Markup,
    _axes,
    _chart_id,
    _check_size,
    _clean,
    _esc,
    _frame,
    _n,
    _no_data,
    _series_desc,
    _svg_open,
    _text_width,
    _truncate,
    _value_scale,
    format_number,
    format_percent,
)


def bar_chart(
    points: Sequence[tuple[str, float]],
    *,
    title: str,
    y_label: str = "",
    width: int = 640,
    height: int = 220,
    highlight_last: bool = False,
    marked: Collection[int] = (),
    marked_note: str = "",
    value_format: Formatter = format_number,
    chart_id: str = "",
) -> Markup:
    """Vertical bars, e.g. reviews per day. For counts: negative values are drawn as 0, and
    no points or all zero (nothing happened) shows "No data". `highlight_last` colours the
    last bar (today) differently, as `marked` does the bars at those indices (the description
    names them after `marked_note`, e.g. "Recommended"). Bars are proportional to their values
    from a zero baseline.
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
    if len(labels) > 1 and not marked:
        desc.append(f"Latest: {value_format(last) if last is not None else 'no data'} on {labels[-1]}.")
    if marked:
        desc.append(f"{marked_note or 'Marked'}: {', '.join(labels[i] for i in sorted(marked))}.")

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
        current = (highlight_last and i == len(values) - 1) or i in marked
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
    inside a `div.sr-only` unless `visible` (then class "chart-table"): a table ignores the
    height and overflow that hide it, so on its own it kept its full height on the page.
    None is "no data"; pass `value_format=format_percent` for fractions."""
    if len(headers) != 2:
        raise ValueError("headers: one for the labels, one for the values")
    parts = [
        '<table class="chart-table">' if visible else '<div class="sr-only"><table>',
        f"<caption>{_esc(caption)}</caption>",
        f'<thead><tr><th scope="col">{_esc(headers[0])}</th><th scope="col">{_esc(headers[1])}</th></tr></thead>',
        "<tbody>",
    ]
    for label, value in points:
        clean = _clean(value)
        shown = "no data" if clean is None else value_format(clean)
        parts.append(f'<tr><th scope="row">{_esc(label)}</th><td>{_esc(shown)}</td></tr>')
    if not points:
        parts.append(f'<tr><td colspan="2">{NO_DATA}</td></tr>')
    parts.append("</tbody></table>" if visible else "</tbody></table></div>")
    return Markup("".join(parts))
