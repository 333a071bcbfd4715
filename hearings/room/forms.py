"""What the hearing page says of a check-in: the names of the statuses, and why a check-in was
refused, in the reader's language. The check-in form itself has no field but its CSRF token."""

from __future__ import annotations

from datetime import datetime

from hearings import times
from hearings.models import CheckinStatus
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
