"""Horizontal bar charts and line charts drawn as inline SVG by the templates (`console/_bar_chart.html`,
`console/_line_chart.html`): this module only works out the geometry, so the page needs no script and no outside
asset."""

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


# --- Line charts (`console/_line_chart.html`) ----------------------------------------------------------------------

PLOT_LEFT = 48  # room for the y axis' figures
PLOT_RIGHT = WIDTH - 36  # room for half the last label
PLOT_TOP = LEGEND_HEIGHT + 14
PLOT_HEIGHT = 220
AXIS_HEIGHT = 30  # below the plot: the x axis' labels
X_LABELS = 12  # at most this many labels on the x axis
Y_TICKS = 4


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Line:
    name: str
    color: str
    points: str  # the polyline's "x,y x,y …"
    dots: list[Dot]


@dataclass(frozen=True)
class AxisLabel:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class LineChart:
    title: str
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    legend: list[LegendEntry]
    lines: list[Line]
    x_labels: list[AxisLabel]
    y_ticks: list[AxisLabel]


def _nice_step(largest: float, ticks: int) -> float:
    """A step of 1, 2 or 5 times a power of ten (at least 1) that covers `largest` in `ticks` steps."""
    raw, power = max(largest / ticks, 1), 1
    while power * 10 <= raw:
        power *= 10
    return next(power * factor for factor in (1, 2, 5, 10) if power * factor >= raw)


def _figure_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def line_chart(*, title: str, series: list[str], points: list[tuple[str, list[float | None]]]) -> LineChart:
    """A chart of one line per series over the labelled points (a day, a month), one value per series at each point
    (None: no value, the line skips it). The y axis starts at 0 and ends at a round figure above the largest value;
    the x axis labels at most `X_LABELS` points, evenly spaced."""
    legend = [LegendEntry(name, PALETTE[i % len(PALETTE)], i * 160) for i, name in enumerate(series)]
    values = [value for _label, row in points for value in row if value is not None]
    step = _nice_step(max(values, default=0), Y_TICKS)
    top_value = step * max(1, -(-max(values, default=0) // step))
    bottom = PLOT_TOP + PLOT_HEIGHT
    span = PLOT_RIGHT - PLOT_LEFT

    def x_of(index: int) -> float:
        return round(PLOT_LEFT + (span / 2 if len(points) == 1 else span * index / (len(points) - 1)), 1)

    def y_of(value: float) -> float:
        return round(bottom - PLOT_HEIGHT * value / top_value, 1)

    lines = []
    for number, entry in enumerate(legend):
        dots = [
            Dot(x_of(index), y_of(row[number]), f"{label} · {entry.name}: {_figure_text(row[number])}")
            for index, (label, row) in enumerate(points)
            if row[number] is not None
        ]
        lines.append(Line(entry.name, entry.color, " ".join(f"{dot.x},{dot.y}" for dot in dots), dots))
    every = max(1, -(-len(points) // X_LABELS))
    x_labels = [
        AxisLabel(x_of(index), bottom + 18, label) for index, (label, _row) in enumerate(points) if index % every == 0
    ]
    ticks = round(top_value / step)
    y_ticks = [AxisLabel(PLOT_LEFT - 6, y_of(step * n), _figure_text(step * n)) for n in range(ticks + 1)]
    return LineChart(
        title=title,
        width=WIDTH,
        height=bottom + AXIS_HEIGHT,
        left=PLOT_LEFT,
        right=PLOT_RIGHT,
        top=PLOT_TOP,
        bottom=bottom,
        legend=legend if points else [],
        lines=lines if points else [],
        x_labels=x_labels,
        y_ticks=y_ticks,
    )
