"""Messages of the scheduling pages: why a booking was refused, in the user's language."""

from __future__ import annotations

from babel.support import LazyProxy

from hearings.scheduling.services import BookingProblem, BookingProblemKind
from hearings.times import clock
from tribune import i18n
from tribune.i18n import gettext as _
from tribune.i18n import lazy_gettext
from tribune.languages import language_name

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
