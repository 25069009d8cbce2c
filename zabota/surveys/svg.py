"""Charts drawn on the server as SVG: no JavaScript library, nothing loaded from elsewhere, the
same picture in the page, a screenshot and a printout.

Each chart has a ``<title>`` and a ``<desc>`` (read by screen readers, ``role="img"``), scales
with its container (``viewBox``, width 100 %) and takes its colours from the agent UI's palette
(``web/app.css``). Every text that goes in is escaped here; the result is safe to insert."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# The agent UI's palette (app.css :root).
ACCENT = "#5753d6"
ACCENT_SOFT = "#eeedfd"
DANGER = "#d0393e"
SUCCESS = "#188048"
TEXT_2 = "#545d6b"
TEXT_3 = "#868e9b"
BORDER = "#e3e6eb"
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif'


@dataclass(frozen=True)
class Point:
    """One value of a chart: its label, the value (None: no answers) and how many answers it
    is computed from (shown in the tooltip)."""

    label: str
    value: float | None
    count: int = 0


def _number(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def _open(chart_id: str, width: int, height: int, title: str, desc: str) -> list[str]:
    cid = escape(chart_id)
    return [
        f'<svg class="chart" id="{cid}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" '
        f'style="max-width:100%;height:auto;font-family:{escape(FONT)}">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(desc)}</desc>',
    ]


def _tooltip(point: Point, decimals: int, unit: str) -> str:
    if point.value is None:
        return escape(f"{point.label}: —")
    return escape(f"{point.label}: {_number(point.value, decimals)}{unit} ({point.count})")


def trend_chart(
    chart_id: str,
    points: Sequence[Point],
    *,
    title: str,
    desc: str,
    low: float,
    high: float,
    decimals: int = 0,
    unit: str = "",
    kind: str = "line",
) -> SafeString:
    """A metric per period, as a line (gaps where a period has no answers) or as columns, on
    the axis from ``low`` to ``high`` (with a line at 0 when the axis crosses it: NPS)."""
    width, height = 560, 210
    left, right, top, bottom = 40, 10, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    span = (high - low) or 1

    def y(value: float) -> float:
        return top + plot_h * (high - min(max(value, low), high)) / span

    parts = _open(chart_id, width, height, title, desc)
    # Grid: five lines with their values.
    for step in range(5):
        value = low + span * step / 4
        gy = y(value)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{gy:.1f}" y2="{gy:.1f}" '
            f'stroke="{BORDER}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{gy + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="{TEXT_3}">{escape(_number(value, 0 if span >= 10 else 1))}</text>'
        )
    if low < 0 < high:
        zy = y(0)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{zy:.1f}" y2="{zy:.1f}" '
            f'stroke="{TEXT_3}" stroke-width="1"/>'
        )
    n = max(len(points), 1)
    slot = plot_w / n
    # Labels: at most about twelve, evenly spaced, so weeks over a year stay readable.
    every = max(1, -(-n // 12))
    for index, point in enumerate(points):
        cx = left + slot * (index + 0.5)
        if index % every == 0:
            parts.append(
                f'<text x="{cx:.1f}" y="{height - 10}" text-anchor="middle" font-size="12" '
                f'fill="{TEXT_2}">{escape(point.label)}</text>'
            )
    if kind == "bar":
        base = y(max(low, 0)) if low < 0 else y(low)
        bar_w = max(2.0, slot * 0.6)
        for index, point in enumerate(points):
            if point.value is None:
                continue
            cx = left + slot * (index + 0.5)
            vy = y(point.value)
            y0, y1 = sorted((vy, base))
            colour = DANGER if point.value < 0 else ACCENT
            parts.append(
                f'<rect x="{cx - bar_w / 2:.1f}" y="{y0:.1f}" width="{bar_w:.1f}" '
                f'height="{max(y1 - y0, 1):.1f}" rx="2" fill="{colour}">'
                f"<title>{_tooltip(point, decimals, unit)}</title></rect>"
            )
    else:
        runs: list[list[tuple[float, float]]] = [[]]
        for index, point in enumerate(points):
            if point.value is None:
                if runs[-1]:
                    runs.append([])
                continue
            runs[-1].append((left + slot * (index + 0.5), y(point.value)))
        for run in runs:
            if len(run) > 1:
                coords = " ".join(f"{x:.1f},{yy:.1f}" for x, yy in run)
                parts.append(
                    f'<polyline points="{coords}" fill="none" stroke="{ACCENT}" '
                    f'stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"/>'
                )
        for index, point in enumerate(points):
            if point.value is None:
                continue
            cx, cy = left + slot * (index + 0.5), y(point.value)
            parts.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="#fff" stroke="{ACCENT}" '
                f'stroke-width="2"><title>{_tooltip(point, decimals, unit)}</title></circle>'
            )
    if all(point.value is None for point in points):
        parts.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
            f'font-size="13" fill="{TEXT_3}">—</text>'
        )
    parts.append("</svg>")
    # Every text above went through escape(); numbers are formatted here.
    return mark_safe("".join(parts))  # every text in it went through escape() above


def bar_list(
    chart_id: str,
    points: Sequence[Point],
    *,
    title: str,
    desc: str,
    low: float,
    high: float,
    decimals: int = 0,
    unit: str = "",
) -> SafeString:
    """Horizontal bars, one per channel, agent or group, from ``low`` to ``high`` (a zero line
    and red bars to the left for negative values: NPS)."""
    row_h, label_w, value_w, width = 28, 150, 56, 560
    height = max(row_h * len(points), row_h) + 8
    plot_w = width - label_w - value_w
    span = (high - low) or 1

    def x(value: float) -> float:
        return label_w + plot_w * (min(max(value, low), high) - low) / span

    zero = x(0) if low < 0 < high else x(low)
    parts = _open(chart_id, width, height, title, desc)
    parts.append(
        f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="2" y2="{height - 4}" stroke="{BORDER}" '
        f'stroke-width="1"/>'
    )
    for index, point in enumerate(points):
        top = 4 + index * row_h
        label = point.label if len(point.label) <= 24 else point.label[:23] + "…"
        parts.append(
            f'<text x="{label_w - 10}" y="{top + 17}" text-anchor="end" font-size="13" '
            f'fill="{TEXT_2}">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{top + 5}" width="{plot_w}" height="16" rx="3" '
            f'fill="{ACCENT_SOFT}" opacity="0.5"/>'
        )
        if point.value is None:
            text = "—"
        else:
            vx = x(point.value)
            x0, x1 = sorted((vx, zero))
            colour = DANGER if point.value < 0 else ACCENT
            parts.append(
                f'<rect x="{x0:.1f}" y="{top + 5}" width="{max(x1 - x0, 2):.1f}" height="16" '
                f'rx="3" fill="{colour}"><title>{_tooltip(point, decimals, unit)}</title></rect>'
            )
            text = f"{_number(point.value, decimals)}{unit}"
        parts.append(
            f'<text x="{width - 4}" y="{top + 17}" text-anchor="end" font-size="13" '
            f'font-weight="600" fill="{TEXT_2}">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text in it went through escape() above
