"""Server-side SVG geometry for the path page's charts.

The charts are drawn by the server, like the gradebook's histograms: they work without
JavaScript, and each comes with a text alternative (an SVG <desc> and a table) so screen readers
get the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WIDTH = 600
BAR_HEIGHT = 18
BAR_GAP = 6
LABEL_WIDTH = 170
PLOT_HEIGHT = 120


@dataclass
class Bar:
    y: int
    width: float
    label: str
    percent: int
    mastered: bool
    status: str
    status_label: str  # status in the page's language; `status` stays the CSS class


def mastery_bars(states: list[Any], threshold: float) -> dict[str, Any]:
    """One horizontal bar per concept (mastery 0 to 100 %), with the mastery threshold marked."""
    plot = WIDTH - LABEL_WIDTH - 40
    bars = [
        Bar(
            y=index * (BAR_HEIGHT + BAR_GAP),
            width=round(plot * state.p_known, 1),
            label=state.concept.name,
            percent=state.percent,
            mastered=state.mastered,
            status=state.status,
            status_label=state.status_label,
        )
        for index, state in enumerate(states)
    ]
    height = len(bars) * (BAR_HEIGHT + BAR_GAP)
    return {
        "bars": bars,
        "width": WIDTH,
        "height": height + 20,
        "plot_x": LABEL_WIDTH,
        "plot_width": plot,
        "threshold_x": round(LABEL_WIDTH + plot * threshold, 1),
        "threshold_percent": round(threshold * 100),
        "axis_y": height + 14,
        "bar_height": BAR_HEIGHT,
    }


def progress_line(points: list[Any], total: int) -> dict[str, Any]:
    """Concepts mastered per day as a polyline, plus mean mastery as a second line."""
    if not points or not total:
        return {"points": []}
    step = (WIDTH - 60) / max(len(points) - 1, 1)

    def xy(index: int, share: float) -> str:
        return f"{40 + index * step:.1f},{10 + PLOT_HEIGHT * (1 - share):.1f}"

    return {
        "points": points,
        "width": WIDTH + 30,  # room for the right-hand scale (average mastery)
        "height": PLOT_HEIGHT + 40,
        "mastered_line": " ".join(xy(i, p.mastered / total) for i, p in enumerate(points)),
        "mean_line": " ".join(xy(i, p.mean) for i, p in enumerate(points)),
        "total": total,
        "axis_y": 10 + PLOT_HEIGHT,
        "first": points[0].day,
        "first_mastered": points[0].mastered,
        "last_mastered": points[-1].mastered,
        "last": points[-1].day,
        "end_x": WIDTH - 20,
    }
