"""Horizontal bar charts as inline SVG, computed server-side (no JavaScript, no CDN)."""

BAR_HEIGHT = 22
GAP = 6
LABEL_WIDTH = 190
BAR_AREA = 260
VALUE_WIDTH = 90
# Longer labels are cut to fit LABEL_WIDTH at 13px; the full text is in the table and <title>.
LABEL_CHARS = 27


def bar_chart(items: list[tuple[str, int]], *, scale_to: int | None = None) -> dict:
    """Geometry for ``reports/_bars.svg.html``: one bar per ``(label, value)``.

    Bars are scaled to ``scale_to`` (e.g. the funnel's first stage) or to the largest value.
    """
    top = scale_to if scale_to else max((value for _label, value in items), default=0)
    bars = []
    for index, (label, value) in enumerate(items):
        width = round(BAR_AREA * value / top) if top else 0
        y = index * (BAR_HEIGHT + GAP)
        bars.append(
            {
                "label": label,
                "short": label
                if len(str(label)) <= LABEL_CHARS
                else f"{str(label)[: LABEL_CHARS - 1]}…",
                "value": value,
                "y": y,
                "text_y": y + BAR_HEIGHT - 6,
                "width": max(width, 1 if value else 0),
                "percent": round(100 * value / top, 1) if top else 0,
            }
        )
    return {
        "bars": bars,
        "height": len(items) * (BAR_HEIGHT + GAP),
        "width": LABEL_WIDTH + BAR_AREA + VALUE_WIDTH,
        "bar_x": LABEL_WIDTH,
        "value_x": LABEL_WIDTH + BAR_AREA + 6,
        "bar_height": BAR_HEIGHT,
    }


# Daily trends: one line per series, drawn in a box one unit wide per day and 100 high, scaled
# to the box's width by the browser (preserveAspectRatio="none"; the stroke keeps its width).
# Integer coordinates keep a year's line near 2 KB. Axis labels are HTML around the figure, so
# no text is stretched.
TREND_TOP, TREND_BOTTOM = 4, 96


def daily_line(values: list[int]) -> dict:
    """Geometry for ``reports/_trend.svg.html``: one point per day, the peak at the top."""
    top = max(values, default=0)
    span = TREND_BOTTOM - TREND_TOP
    points = [
        (index, TREND_BOTTOM - (round(span * value / top) if top else 0))
        for index, value in enumerate(values)
    ]
    width = max(len(values) - 1, 1)
    if len(points) == 1:  # one day: a short flat line across the box
        points = [(0, points[0][1]), (1, points[0][1])]
    return {
        "points": " ".join(f"{x},{y}" for x, y in points),
        "width": width,
        "height": 100,
        "baseline": TREND_BOTTOM,
    }
