"""Validation of submitted forms into typed values, with messages in the user's language.

A ``Form`` keeps what the user typed (to show it again) and an ordered map of
field name to message, which the error summary lists in page order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email

from tribune.i18n import gettext as _

# Unicode's control, format, line and paragraph separator characters (categories Cc, Cf, Zl,
# Zp): never typed in a form, and in a name they can turn an email the platform sends into
# someone else's message (line breaks) or show text in another order (bidi overrides).
_CONTROL_AND_FORMAT = (
    "\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
_NOT_IN_A_LINE = re.compile(f"[{_CONTROL_AND_FORMAT}]")
# A textarea keeps its line breaks (CR, LF) and tabs, and refuses the rest.
_NOT_IN_TEXT = re.compile(f"(?![\t\n\r])[{_CONTROL_AND_FORMAT}]")


# The dates a form accepts: any a case can concern, and none so near the ends of the calendar
# that adding a day or changing time zone overflows (9999-12-31 + 1 day is an error, a 500).
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)


def is_usable_date(day: date) -> bool:
    """Return whether a date from a form lies where the code can compute with it."""
    return EARLIEST_DATE <= day <= LATEST_DATE


def date_from_parts(day: str, month: str, year: str) -> date | None:
    """Return the usable date that a typed day, month and year name, or None if they name
    none (a number too large for the calendar raises OverflowError, not ValueError)."""
    try:
        typed = date(int(year), int(month), int(day))
    except (ValueError, OverflowError):
        return None
    return typed if is_usable_date(typed) else None


def parse_moment(text: str) -> datetime | None:
    """Return the moment an ISO 8601 text with a time zone names, in UTC, or None if it names
    none or lies outside the usable dates (0001-01-01 at +14:00, moved to UTC, overflows)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None or not is_usable_date(moment.date()):
        return None
    return moment.astimezone(UTC)


# A North American or international number, with an optional extension ("ext. 12", "x12",
# "poste 12", "#12"); the digits are counted apart.
_PHONE = re.compile(
    r"(?P<number>\+?[\d\s().-]+?)\s*(?:(?:ext\.?|x|poste|#)\s*(?P<extension>\d{1,6}))?",
    re.IGNORECASE | re.ASCII,
)
MAX_PHONE_LENGTH = 40


def is_phone_number(value: str) -> bool:
    """Return whether the text is a telephone number: 10 to 15 digits, maybe an extension."""
    value = " ".join(value.split())
    matched = _PHONE.fullmatch(value) if len(value) <= MAX_PHONE_LENGTH else None
    digits = sum(char.isdigit() for char in matched.group("number")) if matched else 0
    return matched is not None and 10 <= digits <= 15


class Form:
    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self.values: dict[str, str] = {}
        self.lists: dict[str, list[str]] = {}
        if data is not None:
            getlist = getattr(data, "getlist", None)
            for key in data:
                if getlist is not None:
                    items = [item for item in getlist(key) if isinstance(item, str)]
                else:
                    item = data[key]
                    items = [item] if isinstance(item, str) else []
                self.lists[key] = items
                self.values[key] = items[-1] if items else ""
        self.errors: dict[str, str] = {}
        self.cleaned: dict[str, Any] = {}

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def text(
        self,
        name: str,
        *,
        required: str | None = None,
        max_length: int = 500,
        strip: bool = True,
        multiline: bool = False,
    ) -> str:
        """Return a text answer; ``required`` is the message shown when it is empty.

        A single-line answer (a name, a firm, a title: what emails and letters print) refuses
        line breaks and every control and format character, bidirectional overrides
        included; a ``multiline`` one (a textarea) allows line breaks and tabs."""
        raw = self.values.get(name, "")
        value = raw.strip() if strip else raw
        unwanted = _NOT_IN_TEXT if multiline else _NOT_IN_A_LINE
        if unwanted.search(value):
            self.add_error(name, _("Remove the control characters from this answer"))
        elif not value and required:
            self.add_error(name, required)
        elif len(value) > max_length:
            self.add_error(name, _("This answer must be %(n)s characters or fewer", n=max_length))
        self.cleaned[name] = value
        return value

    def email(self, name: str, *, required: str) -> str:
        """Return a normalised (lowercased) email address."""
        value = self.text(name, required=required, max_length=320)
        if value and name not in self.errors:
            try:
                checked = validate_email(value, check_deliverability=False)
            except EmailNotValidError:
                self.add_error(
                    name, _("Enter an email address in the correct format, like name@example.com")
                )
                return value
            self.cleaned[name] = checked.normalized.lower()
        email: str = self.cleaned.get(name, value)
        return email

    def choice(self, name: str, choices: Iterable[str], *, required: str) -> str:
        value = self.values.get(name, "").strip()
        if value not in set(choices):
            self.add_error(name, required)
        self.cleaned[name] = value
        return value

    def password(self, name: str, *, required: str) -> str:
        value = self.values.get(name, "")
        if not value:
            self.add_error(name, required)
        self.cleaned[name] = value
        return value
