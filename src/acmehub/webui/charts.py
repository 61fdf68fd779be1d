"""Charts drawn on the server as inline SVG (no script, no library): coordinates computed
here, markup in templates/charts.html."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str  # e.g. "2026-05-01: 3 certificates"


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class XLabel:
    x: float
    label: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    plot_left: float
    plot_bottom: float
    plot_right: float
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    x_labels: tuple[XLabel, ...]
    maximum: int


def _nice_step(value: int, ticks: int = 4) -> int:
    """A round tick step (1, 2, 5 x 10^n) so that ``ticks`` steps reach ``value``."""
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude * ticks >= value:
                return step * magnitude
        magnitude *= 10


def daily_bars(
    points: Sequence[tuple[date, int]],
    *,
    unit: str = "certificates",
    width: int = 720,
    height: int = 220,
) -> BarChart:
    """One bar per day; a y axis with 5 ticks; a date under every 5th bar and the last."""
    left, right, top, bottom = 40.0, 8.0, 10.0, 28.0
    plot_w = width - left - right
    plot_h = height - top - bottom
    step = _nice_step(max((n for _, n in points), default=0))
    maximum = step * 4
    slot = plot_w / max(len(points), 1)
    gap = min(4.0, slot * 0.25)
    bars = []
    x_labels = []
    for i, (day, value) in enumerate(points):
        h = plot_h * value / maximum
        x = left + i * slot + gap / 2
        bars.append(
            Bar(
                x=round(x, 2),
                y=round(top + plot_h - h, 2),
                width=round(slot - gap, 2),
                height=round(h, 2),
                value=value,
                label=f"{day.isoformat()}: {value} {unit}",
            )
        )
        if i % 5 == 0 or i == len(points) - 1:
            x_labels.append(XLabel(round(x + (slot - gap) / 2, 2), day.strftime("%b %d")))
    ticks = tuple(Tick(round(top + plot_h - plot_h * k / 4, 2), str(step * k)) for k in range(5))
    return BarChart(
        width=width,
        height=height,
        plot_left=left,
        plot_bottom=top + plot_h,
        plot_right=width - right,
        bars=tuple(bars),
        ticks=ticks,
        x_labels=tuple(x_labels),
        maximum=maximum,
    )
