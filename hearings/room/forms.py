"""What the hearing page says of a check-in: the names of the statuses, and why a check-in was
refused, in the reader's language (the check-in form itself has no field but its CSRF token);
the console's statuses, the participant its forms name, and why its actions were refused."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hearings import times
from hearings.attendance.services import PAGE_KEY
from hearings.models import AttendanceKind, CheckinStatus
from tribune.forms import Form
from tribune.i18n import gettext as _


def status_names() -> dict[CheckinStatus, str]:
    return {
        CheckinStatus.WAITING: _("Waiting to be let in"),
        CheckinStatus.ADMITTED: _("Let in to the hearing"),
        CheckinStatus.RETURNED: _("Back in the waiting room"),
        CheckinStatus.LEFT: _("Left the hearing"),
    }


def refusal_message(reason: str, opens: datetime, zone: str) -> str:
    """Return why a check-in was refused ("early", "late", "not_held"), saying what to do."""
    if reason == "early":
        return _(
            "It is too early to check in. You can check in from %(time)s, 30 minutes before "
            "the hearing starts.",
            time=times.clock(opens, zone),
        )
    if reason == "late":
        return _(
            "It is too late to check in: this hearing is over. The decision will be on your "
            "case page."
        )
    return _("This hearing is not going ahead at this time, so there is nothing to check in to.")


# -- the adjudicator's console ---------------------------------------------------------------------


def console_status_names() -> dict[str, str]:
    """Return the names of where a participant stands, as the console shows them."""
    return {
        "not_arrived": _("Not arrived"),
        "self_test_failed": _("Not arrived, equipment test failed"),
        CheckinStatus.WAITING.value: _("Waiting"),
        CheckinStatus.ADMITTED.value: _("Let in, joining the room"),
        "in_hearing": _("In the hearing"),
        "dropped": _("Dropped out of the room"),
        CheckinStatus.RETURNED.value: _("Returned to the waiting room"),
        CheckinStatus.LEFT.value: _("Left"),
    }


# The longest participant key a console form sends ("interpreter-" and a UUID).
PARTICIPANT_KEY_MAX = 100


def participant_of(data: Mapping[str, Any]) -> str:
    """Return the participant key a console form names ("" when it names none usable): the
    console's services refuse a key that is not one of the hearing's participants."""
    form = Form(data)
    key = form.text("participant", max_length=PARTICIPANT_KEY_MAX)
    return key if form.is_valid else ""


def console_refusal(reason: str, opens: datetime, zone: str) -> str:
    """Return why a console action was refused (``services.ConsoleRefused.reason``)."""
    messages = {
        "not_participant": _("That person is not a participant of this hearing."),
        "not_checked_in": _(
            "That person has not checked in yet. They can be let in once they are in the "
            "waiting room."
        ),
        "left": _(
            "That person has left the hearing page. They can be let in once they check in again."
        ),
        "ended": _("The hearing has ended: nobody can be let in or sent back any more."),
        "not_held": _("This hearing is not going ahead at this time, so it cannot be started."),
        "started": _("The hearing has already started."),
        "late": _("The hearing can no longer be started: its time is over."),
        "not_started": _("The hearing has not started, so it cannot be ended."),
    }
    if reason == "early":
        return _(
            "It is too early to start the hearing. It can be started from %(time)s.",
            time=times.clock(opens, zone),
        )
    return messages[reason]


# -- the video room ------------------------------------------------------------------------------


def room_refusal(reason: str, opens: datetime, zone: str) -> str:
    """Return why the person cannot be given a way into the video room now, saying what to do:
    "early", "late", "not_let_in", "not_held"."""
    if reason == "early":
        return _(
            "It is too early to join the hearing. You can join from %(time)s, 30 minutes before "
            "it starts.",
            time=times.clock(opens, zone),
        )
    if reason == "late":
        return _(
            "This hearing is over, so its video room is closed. The decision will be on the "
            "case page."
        )
    if reason == "not_let_in":
        return _(
            "The adjudicator has not let you in yet, or has sent you back to the waiting room. "
            "Wait on this page: it will open the room when they let you in."
        )
    return _("This hearing is not going ahead at this time, so its video room is closed.")


@dataclass(frozen=True)
class PageEvent:
    """A join or leave the hearing page saw in its video room, as the browser reported it."""

    kind: AttendanceKind
    key: str
    occurred_at: datetime


# A browser's clock may be wrong: a time further than this from the server's is not believed.
PAGE_CLOCK_TOLERANCE = timedelta(minutes=2)
PAGE_EVENT_KINDS = {"joined": AttendanceKind.JOINED, "left": AttendanceKind.LEFT}


def page_event_of(data: Mapping[str, Any], now: datetime) -> tuple[Form, PageEvent | None]:
    """Return the form with its errors, and the event the page reported when it has none.

    The time the browser gives (ISO 8601 with its zone, optional) is kept when it is within
    ``PAGE_CLOCK_TOLERANCE`` of ``now`` and not in the future; otherwise ``now`` is."""
    form = Form(data)
    kind = form.choice("kind", list(PAGE_EVENT_KINDS), required=_("Say what happened"))
    key = form.text("key", max_length=100, required=_("Give the event its key"))
    if key and not PAGE_KEY.fullmatch(key):
        form.add_error("key", _("The event's key can only have letters, digits and _.:-"))
    at = form.text("at", max_length=40)
    occurred_at = now
    if at:
        try:
            reported = datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            reported = None
        if reported is None or reported.tzinfo is None:
            form.add_error("at", _("The time is not a date and time with its zone"))
        elif now - PAGE_CLOCK_TOLERANCE <= reported <= now:
            occurred_at = reported
    if not form.is_valid:
        return form, None
    return form, PageEvent(PAGE_EVENT_KINDS[kind], key, occurred_at)
