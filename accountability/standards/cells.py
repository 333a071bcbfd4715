"""Small cells: what public figures may show.

A count under `SMALL_CELL` is shown as "fewer than 10", never as its number, and a share,
median or 90th percentile computed from fewer than `SMALL_CELL` stopped cases is not shown
at all ("fewer than 10" cases behind it), so that no published figure points at a few
people's cases. The public page, its CSV and its JSON take every figure through here.
"""

from __future__ import annotations

from dataclasses import dataclass

from accountability.standards.measurement import Figures
from tribune.i18n import format_number
from tribune.i18n import gettext as _

SMALL_CELL = 10
# How a suppressed cell reads in the public downloads (language-neutral).
SUPPRESSED = "<10"


@dataclass(frozen=True)
class Cell:
    """A figure as the public may see it: its value, or suppressed."""

    value: int | float | None
    suppressed: bool = False
    percent: bool = False

    @property
    def text(self) -> str:
        """The cell in the current language: the number, a percentage, "fewer than 10", or
        an em dash when there is nothing to show."""
        if self.suppressed:
            return _("fewer than 10")
        if self.value is None:
            return "—"
        if self.percent:
            return _("%(percent)s%%", percent=format_number(round(float(self.value), 1)))
        return format_number(self.value)

    @property
    def json_value(self) -> int | float | str | None:
        """The cell in the public downloads: the number, or "<10"."""
        if self.suppressed:
            return SUPPRESSED
        if self.percent and self.value is not None:
            return round(float(self.value), 1)
        return self.value

    def __str__(self) -> str:
        return self.text


def public_count(count: int) -> Cell:
    """Return a count as the public may see it: "fewer than 10" under 10."""
    return Cell(None, suppressed=True) if count < SMALL_CELL else Cell(count)


@dataclass(frozen=True)
class PublicFigures:
    """A group's figures with small cells suppressed."""

    met: Cell
    missed: Cell
    stopped: Cell
    open_past_limit: Cell
    open_within_limit: Cell
    excluded: Cell
    share_met: Cell  # a percentage
    median_days: Cell
    p90_days: Cell

    def to_json(self) -> dict[str, int | float | str | None]:
        return {
            "met": self.met.json_value,
            "missed": self.missed.json_value,
            "stopped": self.stopped.json_value,
            "open_past_limit": self.open_past_limit.json_value,
            "open_within_limit": self.open_within_limit.json_value,
            "excluded": self.excluded.json_value,
            "share_met_percent": self.share_met.json_value,
            "median_days": self.median_days.json_value,
            "p90_days": self.p90_days.json_value,
        }


def public_figures(figures: Figures) -> PublicFigures:
    """Return a group's figures as the public may see them: counts under 10 as "fewer than
    10"; the share, median and 90th percentile only from 10 stopped cases or more."""
    small = figures.stopped < SMALL_CELL
    share = figures.share_met

    def derived(value: int | float | None, *, percent: bool = False) -> Cell:
        return Cell(None, suppressed=True) if small else Cell(value, percent=percent)

    return PublicFigures(
        met=public_count(figures.met),
        missed=public_count(figures.missed),
        stopped=public_count(figures.stopped),
        open_past_limit=public_count(figures.open_past_limit),
        open_within_limit=public_count(figures.open_within_limit),
        excluded=public_count(figures.excluded),
        share_met=derived(None if share is None else share * 100, percent=True),
        median_days=derived(figures.median_days),
        p90_days=derived(figures.p90_days),
    )
