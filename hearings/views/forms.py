"""The dates-you-cannot-attend form and the day view's date, read into typed values."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from hearings.views.services import MAX_DAYS_PER_ENTRY, MAX_REASON_LENGTH, Window
from tribune import i18n
from tribune.forms import Form, date_from_parts, is_usable_date
from tribune.i18n import gettext as _


@dataclass(frozen=True)
class DatesValues:
    first_day: date
    last_day: date
    reason: str


def _date_of(form: Form, name: str, *, required: str, invalid: str) -> date | None:
    parts = [form.value(f"{name}-{part}").strip() for part in ("day", "month", "year")]
    if not any(parts):
        form.add_error(name, required)
        return None
    day = date_from_parts(*parts)
    if day is None:
        form.add_error(name, invalid)
    return day


def dates_form(data: Mapping[str, Any], window: Window) -> tuple[Form, DatesValues | None]:
    """Return the form, and the days and reason when they are valid: a first and a last day
    from the window's first to its last, the last on or after the first and at most
    MAX_DAYS_PER_ENTRY days after it, and a reason."""
    form = Form(data)
    first = _date_of(
        form,
        "first_day",
        required=_("Enter the first day you cannot attend"),
        invalid=_("The first day must be a real date"),
    )
    last = _date_of(
        form,
        "last_day",
        required=_("Enter the last day you cannot attend"),
        invalid=_("The last day must be a real date"),
    )
    reason = form.text(
        "reason",
        required=_("Give the reason you cannot attend"),
        max_length=MAX_REASON_LENGTH,
        multiline=True,
    )
    bounds = {
        "first": i18n.format_date(window.first, "long"),
        "last": i18n.format_date(window.last, "long"),
    }
    for name, day in (("first_day", first), ("last_day", last)):
        if day is not None and not window.first <= day <= window.last:
            form.add_error(name, _("Give a day from %(first)s to %(last)s", **bounds))
    if first is not None and last is not None and form.is_valid:
        if last < first:
            form.add_error("last_day", _("The last day must be the same as or after the first day"))
        elif (last - first).days + 1 > MAX_DAYS_PER_ENTRY:
            form.add_error(
                "last_day",
                _(
                    "Give at most %(n)s days at a time: add another entry for more",
                    n=MAX_DAYS_PER_ENTRY,
                ),
            )
    if not form.is_valid or first is None or last is None:
        return form, None
    return form, DatesValues(first, last, reason)


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def day_of_query(text: str) -> date | None:
    """Return the day a query names (YYYY-MM-DD), or None if it names none."""
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if is_usable_date(day) else None
