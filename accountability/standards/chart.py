"""Bar charts of a standard's quarters, drawn as SVG on the server.

No script draws them: the page is the same without JavaScript, and the chart is an image
with a title and a description (``role="img"``, ``aria-labelledby``) beside a table of the
same figures, which is what assistive technology reads. Colours are attributes, not styles,
so the page's Content-Security-Policy needs nothing more; the bars and the target line keep a
contrast of 3:1 or more against the white background (WCAG 1.4.11).
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from tribune.i18n import format_number
from tribune.i18n import gettext as _

WIDTH = 480
HEIGHT = 240
LEFT = 44  # room for the percentages of the axis
BOTTOM = 36  # room for the quarters' names
TOP = 12
BAR_COLOUR = "#1d70b8"  # 5.2:1 on white
TARGET_COLOUR = "#0b0c0c"
MUTED_COLOUR = "#505a5f"  # 7:1 on white
GRID_COLOUR = "#b1b4b6"  # the grid is decoration: the figures are written out


@dataclass(frozen=True)
class Bar:
    """One quarter: its name, and the share met in percent, or None when it is not shown
    (fewer than 10 cases, or none)."""

    label: str
    share: float | None
    # What to write on the bar's place when there is no share ("fewer than 10").
    missing_label: str = ""


def _percent(value: int) -> str:
    """A whole percentage as the tables write it, in the current language ("84%", "84 %")."""
    return _("%(percent)s%%", percent=format_number(value))


def _y(share: float) -> float:
    plot = HEIGHT - TOP - BOTTOM
    return TOP + plot * (1 - max(0.0, min(share, 100.0)) / 100)


def quarters_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    bars: list[Bar],
    target: float,
    target_label: str,
) -> Markup:
    """Return the SVG of the bars, with the target as a dashed line across them.

    ``chart_id`` makes the ids of its title and description unique on the page."""
    slots = max(len(bars), 1)
    slot = (WIDTH - LEFT) / slots
    bar_width = slot * 0.6
    baseline = _y(0)
    # Every value goes through Markup.format, which escapes the strings it is given.
    parts = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" class="tribune-chart" role="img" '
            'viewBox="0 0 {} {}" width="100%" aria-labelledby="{}-title {}-desc">'
        ).format(WIDTH, HEIGHT, chart_id, chart_id),
        Markup('<title id="{}-title">{}</title>').format(chart_id, title),
        Markup('<desc id="{}-desc">{}</desc>').format(chart_id, description),
    ]
    line = Markup('<line x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}" stroke="{}" stroke-width="{}"/>')
    text = Markup('<text x="{:.1f}" y="{:.1f}" text-anchor="{}" font-size="{}" fill="{}">{}</text>')
    for tick in (0, 25, 50, 75, 100):
        y = _y(tick)
        parts.append(line.format(LEFT, y, WIDTH, y, GRID_COLOUR, 1))
        parts.append(text.format(LEFT - 6, y + 4, "end", 12, MUTED_COLOUR, _percent(tick)))
    for index, bar in enumerate(bars):
        centre = LEFT + slot * index + slot / 2
        if bar.share is not None:
            top = _y(bar.share)
            parts.append(
                Markup(
                    '<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"/>'
                ).format(centre - bar_width / 2, top, bar_width, baseline - top, BAR_COLOUR)
            )
            label_y = max(top - 4, TOP + 10)
            share = _percent(round(bar.share))
            parts.append(text.format(centre, label_y, "middle", 12, TARGET_COLOUR, share))
        else:
            parts.append(
                text.format(centre, baseline - 6, "middle", 11, MUTED_COLOUR, bar.missing_label)
            )
        parts.append(
            text.format(centre, HEIGHT - BOTTOM + 18, "middle", 12, TARGET_COLOUR, bar.label)
        )
    target_y = _y(target)
    parts.append(
        Markup(
            '<line x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}" stroke="{}" stroke-width="2" '
            'stroke-dasharray="6 4"/>'
        ).format(LEFT, target_y, WIDTH, target_y, TARGET_COLOUR)
    )
    parts.append(text.format(WIDTH - 2, target_y - 5, "end", 12, TARGET_COLOUR, target_label))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
