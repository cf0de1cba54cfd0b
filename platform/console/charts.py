"""Horizontal bar charts drawn as inline SVG by the template (`console/_bar_chart.html`): this module only works out
the geometry, so the page needs no script and no outside asset."""

from dataclasses import dataclass

WIDTH = 880  # the SVG's own units; it scales to the card's width
BARS_WIDTH = 780  # the longest bar; the rest holds its figure
LEGEND_HEIGHT = 26
LABEL_HEIGHT = 18
BAR_HEIGHT = 14
BAR_GAP = 3
GROUP_GAP = 12
PALETTE = ("#1d4ed8", "#15803d", "#b45309", "#7c3aed")


@dataclass(frozen=True)
class Bar:
    y: int
    width: float
    color: str
    text: str
    text_x: float
    text_y: int
    title: str


@dataclass(frozen=True)
class BarGroup:
    label: str
    label_y: int
    bars: list[Bar]


@dataclass(frozen=True)
class LegendEntry:
    name: str
    color: str
    x: int


@dataclass(frozen=True)
class BarChart:
    title: str
    width: int
    height: int
    bar_height: int
    legend: list[LegendEntry]
    groups: list[BarGroup]


def bar_chart(
    *,
    title: str,
    series: list[str],
    groups: list[tuple[str, list[tuple[float | None, str]]]],
    maximum: float | None = None,
) -> BarChart:
    """A chart of one group of bars per label (one bar per series, in `series` order). Each value comes with the
    figure printed at the bar's end; a value of None draws no bar. Bars are scaled to `maximum`, or to the largest
    value."""
    values = [value for _label, bars in groups for value, _text in bars if value is not None]
    scale = maximum or max(values, default=0) or 1
    legend = [LegendEntry(name, PALETTE[i % len(PALETTE)], i * 160) for i, name in enumerate(series)]
    drawn, y = [], LEGEND_HEIGHT
    for label, bars in groups:
        label_y, y = y + LABEL_HEIGHT - 5, y + LABEL_HEIGHT
        shapes = []
        for (value, text), entry in zip(bars, legend, strict=True):
            width = round(BARS_WIDTH * max(value or 0, 0) / scale, 1)
            shapes.append(
                Bar(
                    y=y,
                    width=width,
                    color=entry.color,
                    text=text,
                    text_x=width + 4,
                    text_y=y + BAR_HEIGHT - 3,
                    title=f"{label} · {entry.name}: {text}",
                )
            )
            y += BAR_HEIGHT + BAR_GAP
        drawn.append(BarGroup(label=label, label_y=label_y, bars=shapes))
        y += GROUP_GAP
    return BarChart(title=title, width=WIDTH, height=y, bar_height=BAR_HEIGHT, legend=legend, groups=drawn)
