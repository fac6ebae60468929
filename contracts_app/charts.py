"""Charts drawn on the server as SVG: no network, no script, readable in print.

Colours come from presentation attributes (the CSP forbids inline style). Every chart carries a
<title> and a text description, so it is never colour alone.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

BLUE, GREEN, RED, GREY, DARK = "#0d6efd", "#198754", "#dc3545", "#adb5bd", "#212529"
SERIES_COLOURS = ("#0d6efd", "#6f42c1", "#fd7e14", "#20c997", "#d63384", "#6c757d")


@dataclass(frozen=True)
class Frame:
    width: int = 560
    height: int = 220
    left: int = 48
    right: int = 16
    top: int = 16
    bottom: int = 40

    @property
    def plot_width(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> int:
        return self.height - self.top - self.bottom


def _fmt(value: float) -> str:
    return f"{value:,.1f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"


def _bounds(values: Sequence[float], extra: Sequence[float]) -> tuple[float, float]:
    points = [v for v in list(values) + list(extra) if v is not None]
    if not points:
        return 0.0, 1.0
    low, high = min(points), max(points)
    if low == high:
        low, high = low - 1, high + 1
    pad = (high - low) * 0.08
    return low - pad, high + pad


def line_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *,
               title: str, target: float | None = None, minimum: float | None = None,
               y_min: float | None = None, y_max: float | None = None, frame: Frame = Frame()) -> Markup:
    """Lines over months; gaps where a month has no value; dashed target and minimum lines."""
    all_values = [v for _, values in series for v in values if v is not None]
    low, high = _bounds(all_values, [x for x in (target, minimum) if x is not None])
    low = y_min if y_min is not None else low
    high = y_max if y_max is not None else high
    n = max(len(labels), 1)

    def x(i: int) -> float:
        return frame.left + (frame.plot_width * (i + 0.5) / n)

    def y(v: float) -> float:
        return frame.top + frame.plot_height * (1 - (v - low) / (high - low))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {frame.width} {frame.height}" '
             f'class="chart" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<rect x="{frame.left}" y="{frame.top}" width="{frame.plot_width}" height="{frame.plot_height}" '
             f'fill="#fff" stroke="#dee2e6"/>']
    for tick in range(5):
        value = low + (high - low) * tick / 4
        parts.append(f'<text x="{frame.left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="11" '
                     f'fill="{DARK}">{_fmt(value)}</text>')
    step = max(1, n // 12)
    for i, label in enumerate(labels):
        if i % step == 0:
            parts.append(f'<text x="{x(i):.1f}" y="{frame.height - frame.bottom + 16}" text-anchor="middle" '
                         f'font-size="11" fill="{DARK}">{escape(label)}</text>')
    for value, colour, name in ((target, GREEN, "target"), (minimum, RED, "minimum")):
        if value is not None and low <= value <= high:
            parts.append(f'<line x1="{frame.left}" x2="{frame.left + frame.plot_width}" y1="{y(value):.1f}" '
                         f'y2="{y(value):.1f}" stroke="{colour}" stroke-dasharray="6 4" stroke-width="1.5"/>')
            parts.append(f'<text x="{frame.left + frame.plot_width - 4}" y="{y(value) - 4:.1f}" text-anchor="end" '
                         f'font-size="11" fill="{colour}">{name} {_fmt(value)}</text>')
    for index, (name, values) in enumerate(series):
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        segment: list[str] = []
        for i, value in enumerate(values):
            if value is None:
                if len(segment) > 1:
                    parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(segment)}"/>')
                segment = []
                continue
            segment.append(f"{x(i):.1f},{y(value):.1f}")
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="3" fill="{colour}">'
                         f'<title>{escape(name)} {escape(labels[i])}: {_fmt(value)}</title></circle>')
        if len(segment) > 1:
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(segment)}"/>')
    if len(series) > 1:
        for index, (name, _values) in enumerate(series):
            colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
            lx = frame.left + 8 + index * 150
            parts.append(f'<rect x="{lx}" y="{frame.height - 14}" width="10" height="10" fill="{colour}"/>'
                         f'<text x="{lx + 14}" y="{frame.height - 5}" font-size="11" fill="{DARK}">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(items: Sequence[tuple[str, float | None]], *, title: str, maximum: float = 100.0,
              marks: Sequence[tuple[str, Sequence[float | None]]] = (), frame: Frame = Frame(height=0)) -> Markup:
    """Horizontal bars, one per item, labelled with their value; optional comparison ticks per item."""
    row = 26
    height = frame.top + row * len(items) + frame.bottom
    left, width = 190, frame.width
    plot = width - left - 60
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="chart" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i, (label, value) in enumerate(items):
        top = frame.top + i * row
        parts.append(f'<text x="{left - 8}" y="{top + 16}" text-anchor="end" font-size="12" fill="{DARK}">'
                     f'{escape(label[:28])}</text>')
        if value is None:
            parts.append(f'<text x="{left + 4}" y="{top + 16}" font-size="12" fill="{GREY}">no score</text>')
            continue
        length = max(plot * min(value, maximum) / maximum, 1)
        parts.append(f'<rect x="{left}" y="{top + 4}" width="{length:.1f}" height="16" fill="{BLUE}">'
                     f'<title>{escape(label)}: {_fmt(value)}</title></rect>')
        # The value goes after whichever ends later, the bar or a comparison mark, so they never overlap.
        ends = [length] + [plot * min(values[i], maximum) / maximum for _name, values in marks
                           if i < len(values) and values[i] is not None]
        parts.append(f'<text x="{left + max(ends) + 6:.1f}" y="{top + 16}" font-size="12" fill="{DARK}">'
                     f'{_fmt(value)}</text>')
        for index, (name, values) in enumerate(marks):
            mark = values[i] if i < len(values) else None
            if mark is not None:
                mx = left + plot * min(mark, maximum) / maximum
                colour = SERIES_COLOURS[(index + 2) % len(SERIES_COLOURS)]
                parts.append(f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="{top + 1}" y2="{top + 23}" stroke="{colour}" '
                             f'stroke-width="3"><title>{escape(name)}: {_fmt(mark)}</title></line>')
    for index, (name, _values) in enumerate(marks):
        colour = SERIES_COLOURS[(index + 2) % len(SERIES_COLOURS)]
        lx = left + index * 170
        parts.append(f'<rect x="{lx}" y="{height - 14}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{lx + 14}" y="{height - 5}" font-size="11" fill="{DARK}">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def sparkline(values: Sequence[float | None], *, title: str, low: float = 0.0, high: float = 100.0,
              width: int = 120, height: int = 28) -> Markup:
    """A small trend line for a table cell (gaps for months without a value)."""
    n = max(len(values), 1)
    points, parts = [], [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
                         f'height="{height}" class="sparkline" role="img" aria-label="{escape(title)}">'
                         f'<title>{escape(title)}</title>']
    for i, value in enumerate(values):
        if value is None:
            continue
        x = 3 + (width - 6) * (i / max(n - 1, 1))
        y = height - 3 - (height - 6) * (min(max(value, low), high) - low) / (high - low)
        points.append(f"{x:.1f},{y:.1f}")
    if len(points) > 1:
        parts.append(f'<polyline fill="none" stroke="{BLUE}" stroke-width="1.5" points="{" ".join(points)}"/>')
    if points:
        last_x, last_y = points[-1].split(",")
        parts.append(f'<circle cx="{last_x}" cy="{last_y}" r="2.5" fill="{BLUE}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class IntervalItem:
    """One vendor in `interval_chart`: its raw score, its shrunk score and 90 % interval (SPEC §3b)."""

    label: str
    score: float
    shrunk: float
    low: float
    high: float
    comparison: str  # above / within / below


COMPARISON_COLOURS = {"above": GREEN, "within": BLUE, "below": RED}


def _svg_open(width: float, height: float, title: str, desc: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" class="chart" role="img" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title><desc>{escape(desc)}</desc>')


def interval_chart(items: Sequence[IntervalItem], *, mean: float, title: str, desc: str,
                   low: float = 0.0, high: float = 100.0, width: int = 560) -> Markup:
    """Shrunk scores as bars from 0 with 90 % whiskers, the raw score as a tick, all on one axis with μ dashed."""
    row, top, left, right, bottom = 20, 8, 190, 24, 34
    plot = width - left - right
    height = top + row * len(items) + bottom

    def x(value: float) -> float:
        return left + plot * (min(max(value, low), high) - low) / (high - low)

    parts = [_svg_open(width, height, title, desc)]
    for tick in range(0, 11, 2):
        value = low + (high - low) * tick / 10
        parts.append(f'<line x1="{x(value):.1f}" x2="{x(value):.1f}" y1="{top}" y2="{height - bottom}" '
                     f'stroke="#e9ecef"/><text x="{x(value):.1f}" y="{height - bottom + 14}" text-anchor="middle" '
                     f'font-size="11" fill="{DARK}">{_fmt(value)}</text>')
    for i, item in enumerate(items):
        y = top + i * row
        colour = COMPARISON_COLOURS.get(item.comparison, BLUE)
        parts.append(f'<text x="{left - 8}" y="{y + 14}" text-anchor="end" font-size="12" fill="{DARK}">'
                     f'{escape(item.label[:28])}</text>')
        what = (f"{item.label}: shrunk score {_fmt(item.shrunk)}, 90 % interval {_fmt(item.low)} to "
                f"{_fmt(item.high)}, raw score {_fmt(item.score)}, {item.comparison} the category")
        parts.append(f'<g><title>{escape(what)}</title>'
                     f'<rect x="{left}" y="{y + 6}" width="{max(x(item.shrunk) - left, 1):.1f}" height="8" '
                     f'fill="{colour}" fill-opacity="0.35"/>'
                     f'<line x1="{x(item.low):.1f}" x2="{x(item.high):.1f}" y1="{y + 10}" y2="{y + 10}" '
                     f'stroke="{colour}" stroke-width="2"/>'
                     f'<line x1="{x(item.low):.1f}" x2="{x(item.low):.1f}" y1="{y + 4}" y2="{y + 16}" '
                     f'stroke="{colour}" stroke-width="2"/>'
                     f'<line x1="{x(item.high):.1f}" x2="{x(item.high):.1f}" y1="{y + 4}" y2="{y + 16}" '
                     f'stroke="{colour}" stroke-width="2"/>'
                     f'<circle cx="{x(item.shrunk):.1f}" cy="{y + 10}" r="3.5" fill="{colour}"/>'
                     f'<line x1="{x(item.score):.1f}" x2="{x(item.score):.1f}" y1="{y + 3}" y2="{y + 17}" '
                     f'stroke="{DARK}" stroke-width="1.5"/></g>')
    parts.append(f'<line x1="{x(mean):.1f}" x2="{x(mean):.1f}" y1="{top - 4}" y2="{height - bottom}" stroke="{DARK}" '
                 f'stroke-dasharray="5 3" stroke-width="1.5"><title>category mean {_fmt(mean)}</title></line>')
    legend, lx = height - 6, 60
    parts.append(f'<line x1="{lx}" x2="{lx + 20}" y1="{legend - 4}" y2="{legend - 4}" stroke="{DARK}" '
                 f'stroke-dasharray="5 3"/><text x="{lx + 24}" y="{legend}" font-size="11" fill="{DARK}">'
                 f'category mean {_fmt(mean)}</text>'
                 f'<line x1="{lx + 150}" x2="{lx + 150}" y1="{legend - 10}" y2="{legend + 2}" stroke="{DARK}" '
                 f'stroke-width="1.5"/><text x="{lx + 156}" y="{legend}" font-size="11" fill="{DARK}">raw score'
                 f'</text><circle cx="{lx + 230}" cy="{legend - 4}" r="3.5" fill="{BLUE}"/>'
                 f'<text x="{lx + 238}" y="{legend}" font-size="11" fill="{DARK}">shrunk score with its 90 % interval</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class FunnelPoint:
    label: str
    observations: int
    score: float
    ranked: bool


def funnel_plot(points: Sequence[FunnelPoint], *, mean: float, limits, title: str, desc: str,
                frame: Frame = Frame(width=560, height=300, left=48, bottom=52)) -> Markup:
    """Each vendor's score against its observations (log axis), with μ and the 90 % funnel `limits(n)`."""
    counts = [p.observations for p in points if p.observations > 0] or [1]
    x_low, x_high = math.log10(max(min(counts) / 1.5, 1)), math.log10(max(counts) * 1.5)
    if x_high - x_low < 1:
        x_low, x_high = x_low - 0.5, x_high + 0.5
    samples = [10 ** (x_low + (x_high - x_low) * i / 60) for i in range(61)]
    curves = [limits(n) for n in samples]
    y_values = [p.score for p in points] + [mean]
    y_low, y_high = _bounds(y_values, [v for pair in curves for v in pair if 0 <= v <= 100])
    y_low, y_high = max(y_low, 0.0), min(y_high, 100.0)
    if y_high - y_low < 2:
        y_low, y_high = max(mean - 1, 0.0), min(mean + 1, 100.0)

    def x(n: float) -> float:
        return frame.left + frame.plot_width * (math.log10(max(n, 1e-9)) - x_low) / (x_high - x_low)

    def y(v: float) -> float:
        v = min(max(v, y_low), y_high)
        return frame.top + frame.plot_height * (1 - (v - y_low) / (y_high - y_low))

    parts = [_svg_open(frame.width, frame.height, title, desc),
             f'<rect x="{frame.left}" y="{frame.top}" width="{frame.plot_width}" height="{frame.plot_height}" '
             f'fill="#fff" stroke="#dee2e6"/>']
    for tick in range(5):
        value = y_low + (y_high - y_low) * tick / 4
        parts.append(f'<text x="{frame.left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="11" '
                     f'fill="{DARK}">{_fmt(value)}</text>')
    for power in range(math.floor(x_low), math.ceil(x_high) + 1):
        for mult in (1, 3):
            n = mult * 10 ** power
            if x_low <= math.log10(n) <= x_high:
                parts.append(f'<line x1="{x(n):.1f}" x2="{x(n):.1f}" y1="{frame.top}" '
                             f'y2="{frame.top + frame.plot_height}" stroke="#f1f3f5"/>'
                             f'<text x="{x(n):.1f}" y="{frame.top + frame.plot_height + 14}" text-anchor="middle" '
                             f'font-size="11" fill="{DARK}">{n:,}</text>')
    parts.append(f'<text x="{frame.left + frame.plot_width / 2:.1f}" y="{frame.height - 22}" text-anchor="middle" '
                 f'font-size="11" fill="{DARK}">observations in the window (log scale)</text>')
    for index in (0, 1):
        line = " ".join(f"{x(n):.1f},{y(pair[index]):.1f}" for n, pair in zip(samples, curves, strict=False))
        parts.append(f'<polyline fill="none" stroke="{GREY}" stroke-width="1.5" stroke-dasharray="4 3" '
                     f'points="{line}"/>')
    parts.append(f'<line x1="{frame.left}" x2="{frame.left + frame.plot_width}" y1="{y(mean):.1f}" y2="{y(mean):.1f}" '
                 f'stroke="{DARK}" stroke-width="1.5"><title>category mean {_fmt(mean)}</title></line>')
    for p in points:
        low, high = limits(p.observations)
        place = "above the funnel" if p.score > high else "below the funnel" if p.score < low else "inside the funnel"
        what = (f"{p.label}: score {_fmt(p.score)} from {p.observations:,} observations, {place}"
                f"{'' if p.ranked else ' (not ranked: insufficient data)'}")
        fill = BLUE if p.ranked else "#fff"
        parts.append(f'<circle cx="{x(p.observations):.1f}" cy="{y(p.score):.1f}" r="4" fill="{fill}" '
                     f'stroke="{BLUE}" stroke-width="1.5"><title>{escape(what)}</title></circle>')
    legend = frame.height - 6
    parts.append(f'<line x1="{frame.left}" x2="{frame.left + 20}" y1="{legend - 4}" y2="{legend - 4}" '
                 f'stroke="{DARK}" stroke-width="1.5"/><text x="{frame.left + 24}" y="{legend}" font-size="11" '
                 f'fill="{DARK}">category mean {_fmt(mean)}</text>'
                 f'<line x1="{frame.left + 150}" x2="{frame.left + 170}" y1="{legend - 4}" y2="{legend - 4}" '
                 f'stroke="{GREY}" stroke-width="1.5" stroke-dasharray="4 3"/><text x="{frame.left + 174}" '
                 f'y="{legend}" font-size="11" fill="{DARK}">90 % limits</text>'
                 f'<circle cx="{frame.left + 260}" cy="{legend - 4}" r="4" fill="{BLUE}"/><text x="{frame.left + 268}" '
                 f'y="{legend}" font-size="11" fill="{DARK}">ranked</text><circle cx="{frame.left + 325}" '
                 f'cy="{legend - 4}" r="4" fill="#fff" stroke="{BLUE}" stroke-width="1.5"/><text '
                 f'x="{frame.left + 333}" y="{legend}" font-size="11" fill="{DARK}">not ranked</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
