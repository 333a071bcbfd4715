"""Hearing times as people read them: in the tribunal's zone with the zone named, and in the
reader's own zone beside it when theirs differs.

Every page, notice and reminder says a hearing's time through these functions, so that the
day, the clock and the zone's name ("EST" in January, "EDT" in July; "HNE", "HAE" in French)
come from the instant itself and the zone's rules for that date, never from today's offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from tribune import i18n
from tribune.i18n import gettext as _


def clock(value: datetime, zone: str) -> str:
    """Return the local time of an instant with its zone named ("9:30 a.m. EDT", "9 h 30 HAE")."""
    return i18n.format_datetime(
        value, zone, format="h:mm a z" if i18n.get_language() == "en" else "H 'h' mm z"
    )


def _clock_alone(value: datetime, zone: str) -> str:
    return i18n.format_datetime(
        value, zone, format="h:mm a" if i18n.get_language() == "en" else "H 'h' mm"
    )


def span(starts_at: datetime, ends_at: datetime, zone: str) -> str:
    """Return a hearing's day and times in a zone, in the current language:
    "Tuesday, January 12, 2027, 10:00 a.m. to 11:30 a.m. EST" or
    "mardi 12 janvier 2027, de 10 h 00 à 11 h 30 HNE"."""
    return _(
        "%(day)s, from %(start)s to %(end)s",
        day=i18n.format_date(starts_at, "full", zone),
        start=_clock_alone(starts_at, zone),
        end=clock(ends_at, zone),
    )


def valid_zone(name: str | None) -> bool:
    """Return whether a name is an IANA time zone this machine knows."""
    if not name:
        return False
    try:
        ZoneInfo(name)
    # KeyError: ZoneInfoNotFoundError's base; OSError: a folder of zones ("America") alone.
    except (ValueError, KeyError, OSError):
        return False
    return True


@dataclass(frozen=True)
class HearingTime:
    """A hearing's time for one reader: in the tribunal's zone, and in the reader's own zone
    when it differs (else ``local`` is empty)."""

    tribunal: str
    local: str


def for_reader(
    starts_at: datetime, ends_at: datetime, tribunal_zone: str, reader_zone: str | None
) -> HearingTime:
    """Return the hearing's time as a reader whose zone is ``reader_zone`` (or unknown) sees it."""
    local = ""
    if reader_zone and reader_zone != tribunal_zone and valid_zone(reader_zone):
        here = starts_at.astimezone(ZoneInfo(tribunal_zone)).utcoffset()
        there = starts_at.astimezone(ZoneInfo(reader_zone)).utcoffset()
        if here != there:  # a zone with the same clock that day needs no second line
            local = span(starts_at, ends_at, reader_zone)
    return HearingTime(span(starts_at, ends_at, tribunal_zone), local)


def hours(starts_at: datetime, ends_at: datetime, zone: str) -> str:
    """Return a hearing's times without its day, the zone named once: "10:00 a.m. to
    11:30 a.m. EST", "de 10 h 00 à 11 h 30 HNE"."""
    return _(
        "%(start)s to %(end)s",
        start=_clock_alone(starts_at, zone),
        end=clock(ends_at, zone),
    )
