"""The case events a service standard's clock starts, stops, pauses and resumes on.

Each is named by a code a definition stores, and read from the case events the platform
already records (`filings.lifecycle`'s kinds, written by the case and hearing pages). The
milestones have a place in a case's life, so that a stop can be checked to come after its
start:

    submitted (10) → accepted (20) → hearing scheduled (30) → hearing held (40)
    → decision issued (50) → case closed (60)

Time a case spends waiting on a party can be left out of the clock by a pause and the
resume that ends it:

- returned → resubmitted: the case was returned to the claimant for completion;
- party adjournment → scheduled: the hearing was adjourned at a party's request (an
  `adjourned` event whose coded reason, ``details["adjournment_reason"]``, is one of
  `PARTY_ADJOURNMENT_REASONS`, as the outcome and adjournment pages record it), until a
  hearing is scheduled again.

A withdrawn or dismissed case ends without reaching the stop: it is counted as excluded,
never as open (`TERMINAL_KINDS`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from babel.support import LazyProxy

from hearings.models import AdjournmentReason
from tribune.i18n import lazy_gettext


class Role(enum.Enum):
    """What an event can do to a standard's clock."""

    MILESTONE = "milestone"  # start or stop
    PAUSE = "pause"
    RESUME = "resume"


@dataclass(frozen=True)
class ClockEvent:
    """An event of the catalogue: its code, the case event kind it reads, what it can do."""

    code: str
    kind: str
    label: LazyProxy
    roles: frozenset[Role]
    # Its place in a case's life (milestones only): a stop's is greater than its start's.
    place: int | None = None
    # For a pause read from adjournments: the coded reasons that are a party's.
    reasons: tuple[str, ...] = ()


# The coded adjournment reasons that are a party's request (`hearings.models.AdjournmentReason`).
PARTY_ADJOURNMENT_REASONS = (AdjournmentReason.PARTY_UNAVAILABLE.value,)

# Events that end a case without its reaching any stop.
TERMINAL_KINDS = ("withdrawn", "dismissed")

_M = frozenset({Role.MILESTONE})

CATALOGUE: dict[str, ClockEvent] = {
    event.code: event
    for event in (
        ClockEvent("submitted", "submitted", lazy_gettext("Case submitted"), _M, 10),
        ClockEvent("accepted", "accepted", lazy_gettext("Case accepted"), _M, 20),
        ClockEvent(
            "scheduled",
            "scheduled",
            lazy_gettext("Hearing scheduled"),
            frozenset({Role.MILESTONE, Role.RESUME}),
            30,
        ),
        ClockEvent("heard", "heard", lazy_gettext("Hearing held"), _M, 40),
        ClockEvent("decided", "decided", lazy_gettext("Decision issued"), _M, 50),
        ClockEvent("closed", "closed", lazy_gettext("Case closed"), _M, 60),
        ClockEvent(
            "returned",
            "returned",
            lazy_gettext("Returned to the claimant for completion"),
            frozenset({Role.PAUSE}),
        ),
        ClockEvent(
            "resubmitted",
            "resubmitted",
            lazy_gettext("Resubmitted by the claimant"),
            frozenset({Role.RESUME}),
        ),
        ClockEvent(
            "party_adjournment",
            "adjourned",
            lazy_gettext("Hearing adjourned at a party’s request"),
            frozenset({Role.PAUSE}),
            reasons=PARTY_ADJOURNMENT_REASONS,
        ),
    )
}

# Each pause, and the one resume that ends it.
RESUME_OF: dict[str, str] = {"returned": "resubmitted", "party_adjournment": "scheduled"}

TERMINAL_LABELS: dict[str, LazyProxy] = {
    "withdrawn": lazy_gettext("Case withdrawn"),
    "dismissed": lazy_gettext("Case dismissed"),
}


def event(code: str) -> ClockEvent | None:
    """Return the catalogue's event of that code, or None if there is none."""
    return CATALOGUE.get(code)


def milestones() -> list[ClockEvent]:
    """Return the events a clock can start or stop on, in the order of a case's life."""
    return sorted(
        (event for event in CATALOGUE.values() if Role.MILESTONE in event.roles),
        key=lambda event: event.place or 0,
    )


def pauses() -> list[ClockEvent]:
    """Return the events a clock can pause on (each has one resume: `RESUME_OF`)."""
    return [CATALOGUE[code] for code in RESUME_OF]


def stops_after(start: str) -> list[ClockEvent]:
    """Return the milestones a clock started on `start` can stop on (later in a case's life)."""
    first = CATALOGUE.get(start)
    if first is None or first.place is None:
        return []
    return [event for event in milestones() if (event.place or 0) > first.place]
