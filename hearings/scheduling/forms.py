"""The scheduling pages' forms (a booking or a move, an adjournment, a cancellation) read into
typed values, and why a booking was refused, in the user's language."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from babel.support import LazyProxy

from hearings.calendars.forms import read_date
from hearings.calendars.services import local_instant
from hearings.models import AdjournmentReason, HearingMode
from hearings.scheduling.services import BookingProblem, BookingProblemKind, BookingRequest
from hearings.times import clock
from tribune import i18n
from tribune.forms import Form, parse_moment
from tribune.i18n import gettext as _
from tribune.i18n import lazy_gettext
from tribune.languages import language_name

# How each mode is named on the pages.
MODE_LABELS: dict[HearingMode, LazyProxy] = {
    HearingMode.VIDEO: lazy_gettext("Video"),
    HearingMode.TELEPHONE: lazy_gettext("Telephone"),
    HearingMode.IN_PERSON: lazy_gettext("In person"),
}

# Limits on what a clerk types.
REASON_MAX_LENGTH = 2000
OVERRIDE_MAX_LENGTH = 500

_SIMPLE_MESSAGES: dict[BookingProblemKind, LazyProxy] = {
    BookingProblemKind.CASE_NOT_ACCEPTED: lazy_gettext(
        "Only an accepted case can have a hearing booked."
    ),
    BookingProblemKind.CASE_CHANGED: lazy_gettext(
        "This case was changed by someone else. Check it again."
    ),
    BookingProblemKind.MODE_NOT_OFFERED: lazy_gettext(
        "The tribunal does not hold hearings this way."
    ),
    BookingProblemKind.DURATION: lazy_gettext(
        "Enter a length in quarter hours, from 15 minutes to 8 hours."
    ),
    BookingProblemKind.NOT_ON_QUARTER_HOUR: lazy_gettext(
        "Choose a time on the quarter hour, like 9:30 or 9:45."
    ),
    BookingProblemKind.IN_THE_PAST: lazy_gettext("Choose a time in the future."),
    BookingProblemKind.INSIDE_NOTICE: lazy_gettext(
        "Choose a day after the tribunal's minimum notice."
    ),
    BookingProblemKind.HOLIDAY: lazy_gettext("That day is a public holiday."),
    BookingProblemKind.OUTSIDE_HOURS: lazy_gettext(
        "The hearing must fit within the tribunal's hearing hours that day."
    ),
    BookingProblemKind.UNKNOWN_ADJUDICATOR: lazy_gettext(
        "Choose one of the tribunal's adjudicators."
    ),
    BookingProblemKind.UNKNOWN_INTERPRETER: lazy_gettext(
        "Choose one of the tribunal's interpreters."
    ),
    BookingProblemKind.ROOM_NEEDED: lazy_gettext("Choose a room for a hearing in person."),
    BookingProblemKind.UNKNOWN_ROOM: lazy_gettext("Choose one of the tribunal's rooms."),
    BookingProblemKind.ADJUDICATOR_UNAVAILABLE: lazy_gettext(
        "The adjudicator is not available then."
    ),
    BookingProblemKind.INTERPRETER_UNAVAILABLE: lazy_gettext(
        "The interpreter is not available then."
    ),
    BookingProblemKind.ROOM_UNAVAILABLE: lazy_gettext("The room is not available then."),
    BookingProblemKind.SLOT_TAKEN: lazy_gettext("This time was booked meanwhile. Choose another."),
    BookingProblemKind.HEARING_NOT_SCHEDULED: lazy_gettext(
        "This hearing is no longer scheduled: it was changed by someone else. Check the case again."
    ),
    BookingProblemKind.HEARING_STARTED: lazy_gettext(
        "This hearing's time has come: record its outcome instead."
    ),
}

_BOOKED_MESSAGES: dict[BookingProblemKind, LazyProxy] = {
    BookingProblemKind.ADJUDICATOR_BOOKED: lazy_gettext(
        "The adjudicator has a hearing on %(day)s from %(start)s to %(end)s."
    ),
    BookingProblemKind.INTERPRETER_BOOKED: lazy_gettext(
        "The interpreter has a hearing on %(day)s from %(start)s to %(end)s."
    ),
    BookingProblemKind.ROOM_BOOKED: lazy_gettext(
        "The room holds a hearing on %(day)s from %(start)s to %(end)s."
    ),
}


def booking_problem_message(problem: BookingProblem, zone: str) -> str:
    """Return why a booking was refused, in the current language, with times in the
    tribunal's zone."""
    kind = problem.kind
    language = language_name(problem.language) if problem.language else ""
    if problem.conflict is not None and kind in _BOOKED_MESSAGES:
        return str(_BOOKED_MESSAGES[kind]) % {
            "day": i18n.format_date(problem.conflict.start, "full", zone),
            "start": clock(problem.conflict.start, zone),
            "end": clock(problem.conflict.end, zone),
        }
    if kind is BookingProblemKind.PARTY_UNAVAILABLE and problem.days is not None:
        first, last = problem.days
        if first == last:
            return _("A party said they cannot attend on %(day)s.", day=i18n.format_date(first))
        return _(
            "A party said they cannot attend from %(first)s to %(last)s.",
            first=i18n.format_date(first),
            last=i18n.format_date(last),
        )
    if kind is BookingProblemKind.INTERPRETER_NEEDED:
        return _("This case needs an interpreter for %(language)s: choose one.", language=language)
    if kind is BookingProblemKind.INTERPRETER_LANGUAGE:
        if not language:
            return _("This case did not ask for an interpreter.")
        return _("This interpreter does not work in %(language)s.", language=language)
    if kind in _BOOKED_MESSAGES:
        return str(_SIMPLE_MESSAGES[BookingProblemKind.SLOT_TAKEN])
    return str(_SIMPLE_MESSAGES[kind])


# Refusals that come from what someone else did meanwhile (409); the others are about what
# was typed or chosen (422).
CONFLICTS = frozenset(
    {
        BookingProblemKind.CASE_NOT_ACCEPTED,
        BookingProblemKind.CASE_CHANGED,
        BookingProblemKind.ADJUDICATOR_BOOKED,
        BookingProblemKind.INTERPRETER_BOOKED,
        BookingProblemKind.ROOM_BOOKED,
        BookingProblemKind.SLOT_TAKEN,
        BookingProblemKind.PARTY_UNAVAILABLE,
        BookingProblemKind.HEARING_NOT_SCHEDULED,
        BookingProblemKind.HEARING_STARTED,
    }
)

# The field of the booking form a refusal is about, which the error summary links to.
_PROBLEM_FIELDS = {
    BookingProblemKind.MODE_NOT_OFFERED: "mode",
    BookingProblemKind.DURATION: "duration",
    BookingProblemKind.NOT_ON_QUARTER_HOUR: "time",
    BookingProblemKind.OUTSIDE_HOURS: "time",
    BookingProblemKind.UNKNOWN_ADJUDICATOR: "adjudicator",
    BookingProblemKind.ADJUDICATOR_UNAVAILABLE: "adjudicator",
    BookingProblemKind.ADJUDICATOR_BOOKED: "adjudicator",
    BookingProblemKind.INTERPRETER_NEEDED: "interpreter",
    BookingProblemKind.UNKNOWN_INTERPRETER: "interpreter",
    BookingProblemKind.INTERPRETER_LANGUAGE: "interpreter",
    BookingProblemKind.INTERPRETER_UNAVAILABLE: "interpreter",
    BookingProblemKind.INTERPRETER_BOOKED: "interpreter",
    BookingProblemKind.ROOM_NEEDED: "room",
    BookingProblemKind.UNKNOWN_ROOM: "room",
    BookingProblemKind.ROOM_UNAVAILABLE: "room",
    BookingProblemKind.ROOM_BOOKED: "room",
}


def problem_status(problem: BookingProblem) -> int:
    """Return the status code a refused booking is answered with."""
    return 409 if problem.kind in CONFLICTS else 422


def add_problem(form: Form, problem: BookingProblem, zone: str, *, may_override: bool) -> None:
    """Put a refusal on the booking form, on the field it is about (the date otherwise; a
    party's unavailable day on the override's reason for someone who may give one)."""
    name = _PROBLEM_FIELDS.get(problem.kind, "date")
    if problem.kind is BookingProblemKind.PARTY_UNAVAILABLE and may_override:
        name = "party_override_reason"
    form.add_error(name, booking_problem_message(problem, zone))


_CLOCK = re.compile(r"(?P<hour>[0-9]{1,2})[:h](?P<minute>[0-9]{2})(?::00)?", re.ASCII)
_MINUTES = re.compile(r"[0-9]{1,4}", re.ASCII)


def _read_clock(form: Form, name: str) -> time | None:
    """Return the time of day typed (09:30, 9:30 or 9h30), or None with a message."""
    text = form.value(name).strip()
    matched = _CLOCK.fullmatch(text)
    if not text:
        form.add_error(name, _("Enter the start time"))
    elif matched is None or int(matched["hour"]) > 23 or int(matched["minute"]) > 59:
        form.add_error(name, _("Enter a time in hours and minutes, like 09:30 or 14:00"))
    else:
        return time(int(matched["hour"]), int(matched["minute"]))
    return None


def read_minutes(form: Form, name: str) -> int | None:
    """Return a length typed in minutes (a whole number; the booking checks its range)."""
    text = form.value(name).strip()
    if not text:
        form.add_error(name, _("Enter how long the hearing lasts, in minutes"))
    elif not _MINUTES.fullmatch(text):
        form.add_error(name, _("Enter the length as a whole number of minutes, like 60"))
    else:
        return int(text)
    return None


def read_mode(form: Form, name: str, offered: list[HearingMode]) -> HearingMode | None:
    value = form.choice(
        name, [mode.value for mode in offered], required=_("Choose how the hearing is held")
    )
    return HearingMode(value) if name not in form.errors else None


def _read_id(form: Form, name: str, message: str, *, required: bool) -> uuid.UUID | None:
    text = form.value(name).strip()
    if not text and not required:
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        form.add_error(name, message)
        return None


def slot_value(
    starts_at: datetime,
    minutes: int,
    mode: HearingMode,
    adjudicator_id: uuid.UUID,
    interpreter_id: uuid.UUID | None,
    room_id: uuid.UUID | None,
) -> str:
    """Return what a proposal's "Book this time" button sends: its start, length, mode and
    the ids of who and what it books."""
    return " ".join(
        [
            starts_at.astimezone(UTC).isoformat(),
            str(minutes),
            mode.value,
            str(adjudicator_id),
            str(interpreter_id or "-"),
            str(room_id or "-"),
        ]
    )


def _fill_from_slot(form: Form, slot: str, zone: str) -> None:
    """Put a proposal's values in the fields of the form, as if they had been typed (so a
    refused proposal shows what it was), or add an error if it is not one."""
    parts = slot.split(" ")
    moment = parse_moment(parts[0]) if len(parts) == 6 else None
    if moment is None or moment.second or moment.microsecond:
        form.add_error("date", _("Choose one of the times proposed, or enter another"))
        return
    local = moment.astimezone(ZoneInfo(zone))
    form.values.update(
        {
            "date": local.date().isoformat(),
            "time": local.strftime("%H:%M"),
            "duration": parts[1],
            "mode": parts[2],
            "adjudicator": parts[3],
            "interpreter": "" if parts[4] == "-" else parts[4],
            "room": "" if parts[5] == "-" else parts[5],
        }
    )


@dataclass(frozen=True)
class BookingValues:
    """A booking or a move as typed: the request, and the reasons of a move."""

    request: BookingRequest
    reason: str = ""


def booking_form(
    data: Mapping[str, Any],
    zone: str,
    offered: list[HearingMode],
    *,
    may_override: bool,
    moving: bool,
) -> tuple[Form, BookingValues | None]:
    """Read a booking (or a move, with its reasons) from the form: the day and time of day
    where the tribunal sits, the length, the mode, the adjudicator, and the interpreter and
    room if any (a room only for a hearing in person); an administrator's reason for booking
    over a party's unavailable days."""
    form = Form(data)
    reason = ""
    if moving:
        reason = form.text(
            "reason",
            required=_("Give the reasons for moving the hearing"),
            max_length=REASON_MAX_LENGTH,
            multiline=True,
        )
    slot = form.value("slot").strip()
    if slot and slot != "other":
        _fill_from_slot(form, slot, zone)
    day = read_date(form, "date", required=_("Enter the date of the hearing"))
    at = _read_clock(form, "time")
    minutes = read_minutes(form, "duration")
    mode = read_mode(form, "mode", offered)
    adjudicator = _read_id(
        form, "adjudicator", _("Choose one of the tribunal's adjudicators."), required=True
    )
    interpreter = _read_id(
        form, "interpreter", _("Choose one of the tribunal's interpreters."), required=False
    )
    room = _read_id(form, "room", _("Choose one of the tribunal's rooms."), required=False)
    override = ""
    if may_override:
        override = form.text("party_override_reason", max_length=OVERRIDE_MAX_LENGTH)
    if (
        not form.is_valid
        or day is None
        or at is None
        or minutes is None
        or mode is None
        or adjudicator is None
    ):
        return form, None
    request = BookingRequest(
        mode,
        local_instant(day, at, zone),
        minutes,
        adjudicator,
        interpreter_id=interpreter,
        room_id=room if mode is HearingMode.IN_PERSON else None,
        party_override_reason=override,
    )
    return form, BookingValues(request, reason)


def adjournment_reasons() -> list[tuple[AdjournmentReason, str]]:
    """Return the coded reasons for an adjournment, as the page names them."""
    return [
        (AdjournmentReason.NO_INTERPRETER, _("No interpreter")),
        (AdjournmentReason.PARTY_UNAVAILABLE, _("A party is unavailable")),
        (AdjournmentReason.EVIDENCE_OUTSTANDING, _("Evidence is outstanding")),
        (AdjournmentReason.ADJUDICATOR_UNAVAILABLE, _("The adjudicator is unavailable")),
        (AdjournmentReason.OTHER, _("Another reason")),
    ]


def adjournment_form(data: Mapping[str, Any]) -> tuple[Form, AdjournmentReason | None, str]:
    """Read an adjournment: its coded reason and the reasons the parties are told."""
    form = Form(data)
    value = form.choice(
        "code",
        [code.value for code in AdjournmentReason],
        required=_("Choose why the hearing is adjourned"),
    )
    reason = form.text(
        "reason",
        required=_("Give the reasons for the adjournment"),
        max_length=REASON_MAX_LENGTH,
        multiline=True,
    )
    code = AdjournmentReason(value) if "code" not in form.errors else None
    return form, code if form.is_valid else None, reason


def cancellation_form(data: Mapping[str, Any]) -> tuple[Form, str | None]:
    """Read a cancellation: the reasons the parties are told."""
    form = Form(data)
    reason = form.text(
        "reason",
        required=_("Give the reasons for cancelling the hearing"),
        max_length=REASON_MAX_LENGTH,
        multiline=True,
    )
    return form, reason if form.is_valid else None
