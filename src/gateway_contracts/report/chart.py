"""Inline SVG trend panels: one small chart per gateway, its count over past runs, with its floor.

Small multiples instead of one chart with 14 lines: gateway sizes span 5 to 8,000 models, so a shared
axis would flatten the small ones; each panel has its own axis starting at zero, so a drop reads true.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 300, 140
LEFT, RIGHT, TOP, BOTTOM = 48, 14, 40, 22


@dataclass(frozen=True)
class Point:
    label: str  # shown on hover and at the axis ends (the run's date)
    value: int | None  # None: the gateway was not checked in that run
    failed: bool = False  # a contract of this gateway broke in that run


def _ticks(top: int) -> list[int]:
    """Zero, the middle and a round top (a round multiple of a power of ten) at or above `top`."""
    magnitude = 10 ** (len(str(max(top, 1))) - 1)
    nice = next(int(m * magnitude) for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * magnitude >= top)
    return sorted({0, nice // 2, nice}) if nice >= 2 else [0, nice]


def panel(title: str, points: Sequence[Point], floor: int | None = None, baseline: int | None = None) -> str:
    values = [p.value for p in points if p.value is not None]
    top_value = max([*values, floor or 0, baseline or 0, 1])
    ticks = _ticks(int(top_value * 1.08) + 1)
    y_max = ticks[-1] or 1
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = len(points)

    def x(i: int) -> float:
        return LEFT + (inner_w / 2 if n == 1 else inner_w * i / (n - 1))

    def y(v: float) -> float:
        return TOP + inner_h * (1 - v / y_max)

    last = next((p for p in reversed(points) if p.value is not None), None)
    first = next((p for p in points if p.value is not None), None)
    change = ""
    if first and last and first is not last and first.value:
        pct = (last.value - first.value) / first.value * 100  # type: ignore[operator]
        change = f" ({pct:+.1f} % over {n} runs)" if abs(pct) >= 0.05 else f" (flat over {n} runs)"
    # The floor is named in the subtitle, not on its line: a label there would sit on the data.
    floor_text = f"; floor {floor:,}" if floor else ""
    parts = [
        f'<svg class="trend" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)} model count over the last {n} runs">',
        f'<text x="8" y="14" class="t-title">{escape(title)}</text>',
        f'<text x="8" y="25" class="t-sub">now {last.value:,}{escape(change)}{floor_text}</text>'
        if last and last.value is not None else '<text x="8" y="25" class="t-sub">no data</text>',
    ]
    for tick in ticks:
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" class="t-grid"/>')
        parts.append(f'<text x="{LEFT - 5}" y="{y(tick) + 3.5:.1f}" class="t-axis" text-anchor="end">{tick:,}</text>')
    if floor:
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(floor):.1f}" y2="{y(floor):.1f}" '
                     f'class="t-floor"><title>floor {floor:,}</title></line>')
    segment: list[str] = []
    segments = []
    for i, p in enumerate(points):
        if p.value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append(f"{x(i):.1f},{y(p.value):.1f}")
    if segment:
        segments.append(segment)
    for seg in segments:
        if len(seg) > 1:
            parts.append(f'<polyline points="{" ".join(seg)}" class="t-line"/>')
    for i, p in enumerate(points):
        if p.value is None:
            continue
        cls, note = ("t-dot t-bad", " (a contract broke)") if p.failed else ("t-dot", "")
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(p.value):.1f}" r="3" class="{cls}">'
                     f'<title>{escape(p.label)}: {p.value:,}{note}</title></circle>')
    if points:
        parts.append(f'<text x="{LEFT}" y="{HEIGHT - 6}" class="t-axis">{escape(points[0].label)}</text>')
        if n > 1:
            parts.append(f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 6}" class="t-axis" text-anchor="end">'
                         f'{escape(points[-1].label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
