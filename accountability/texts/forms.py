"""Forms of `accountability.texts`: a Canadian mobile number, a confirmation code, consent; and
the bodies the SMS provider's callbacks post (received texts, delivery receipts)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tribune.forms import Form
from tribune.i18n import gettext as _

# Canada's geographic area codes (the Canadian Numbering Administrator's list, overlays
# included): a North American number outside them is not a Canadian mobile. Add new overlays
# here as they open.
CANADIAN_AREA_CODES = frozenset(
    {
        # Alberta
        "368", "403", "587", "780", "825",
        # British Columbia
        "236", "250", "257", "604", "672", "778",
        # Manitoba
        "204", "431", "584",
        # New Brunswick
        "428", "506",
        # Newfoundland and Labrador
        "709", "879",
        # Nova Scotia and Prince Edward Island
        "782", "902",
        # Ontario
        "226", "249", "289", "343", "365", "382", "387", "416", "437", "519", "548", "613",
        "647", "683", "705", "742", "753", "807", "905", "942",
        # Quebec
        "263", "354", "367", "418", "438", "450", "468", "514", "579", "581", "819", "873",
        # Saskatchewan
        "306", "474", "639",
        # Yukon, Northwest Territories and Nunavut
        "867",
    }
)  # fmt: skip
# What people type around the digits of a number: spaces, dashes, dots, brackets.
_SEPARATORS = re.compile(r"[\s().\-\u2010-\u2015]")
MAX_NUMBER_LENGTH = 30
CODE_LENGTH = 6


def canadian_mobile(text: str) -> str | None:
    """Return a Canadian number in E.164 (+1NXXNXXXXXX), from ten digits or eleven starting
    with 1 (with or without +, spaces, dashes, dots or brackets), or None if it is not one."""
    if len(text) > MAX_NUMBER_LENGTH:
        return None
    digits = _SEPARATORS.sub("", text.strip())
    if digits.startswith("+"):
        digits = digits[1:]
        if not digits.startswith("1"):
            return None  # another country's code
    if not digits.isascii() or not digits.isdigit():
        return None
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        return None
    area, exchange = digits[:3], digits[3:6]
    # NXX: an exchange starts with 2 to 9, and N11 codes (411, 911) are services.
    if area not in CANADIAN_AREA_CODES or exchange[0] in "01" or exchange[1:] == "11":
        return None
    return f"+1{digits}"


def shown(number: str) -> str:
    """Return an E.164 Canadian number as people write it: +1 613-555-0123."""
    if len(number) == 12 and number.startswith("+1"):
        return f"+1 {number[2:5]}-{number[5:8]}-{number[8:]}"
    return number


def number_form(data: Mapping[str, Any]) -> tuple[Form, str | None]:
    """Return the form and the number in E.164, or the form with its error and None."""
    form = Form(data)
    typed = form.text(
        "number", required=_("Enter your mobile number"), max_length=MAX_NUMBER_LENGTH
    )
    if "number" in form.errors:
        return form, None
    number = canadian_mobile(typed)
    if number is None:
        form.add_error(
            "number",
            _("Enter a Canadian mobile number of 10 digits, like 613 555 0123"),
        )
    return form, number


def code_form(data: Mapping[str, Any]) -> tuple[Form, str | None]:
    """Return the form and the 6 digits typed, or the form with its error and None."""
    form = Form(data)
    typed = form.text("code", required=_("Enter the code we sent you"), max_length=40)
    if "code" in form.errors:
        return form, None
    code = re.sub(r"\s|-", "", typed)
    if not (len(code) == CODE_LENGTH and code.isascii() and code.isdigit()):
        form.add_error("code", _("Enter the 6 digits of the code we sent you"))
        return form, None
    return form, code


def consent_form(data: Mapping[str, Any]) -> Form:
    """Return the form; it holds an error unless the person ticked their consent."""
    form = Form(data)
    if form.value("consent") != "yes":
        form.add_error(
            "consent",
            _("Tick the box to agree to get reminders by text message"),
        )
    return form


# -- the provider's callbacks ---------------------------------------------------------------


class Malformed(ValueError):  # noqa: N818 - reads as what the body is
    """A callback's body is not the documented JSON."""


@dataclass(frozen=True)
class Received:
    """A text a person sent to the platform's number."""

    provider_id: str
    source_number: str
    message: str


@dataclass(frozen=True)
class Receipt:
    """A delivery receipt: our reference (the text's id), the provider's id, the number, the
    status and what the provider says of it."""

    provider_id: str
    reference: str
    to: str
    status: str
    detail: str


def _object(raw_body: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError) as error:
        raise Malformed("not JSON") from error
    if not isinstance(body, dict):
        raise Malformed("not a JSON object")
    return body


def _string(body: dict[str, Any], name: str, *, required: bool = True, limit: int = 200) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise Malformed(f"{name} is not a string")
    return value.strip()[:limit]


def received(raw_body: bytes) -> Received:
    """Return a received text from GOV.UK Notify's documented callback, which GC Notify (its
    fork) keeps: ``{"id", "source_number", "destination_number", "message",
    "date_received"}``, all strings. Raises Malformed."""
    body = _object(raw_body)
    return Received(
        provider_id=_string(body, "id"),
        source_number=_string(body, "source_number", limit=40),
        # A keyword is a word: a longer text is kept only as far as it matters.
        message=_string(body, "message", limit=100),
    )


def receipt(raw_body: bytes) -> Receipt:
    """Return a delivery receipt from GC Notify's documented callback: ``{"id", "reference",
    "to", "status", "created_at", "completed_at", "sent_at", "notification_type"}``, and the
    ``status_description`` and ``provider_response`` it may add. Raises Malformed."""
    body = _object(raw_body)
    detail = " ".join(
        _string(body, name, required=False) for name in ("status_description", "provider_response")
    )
    return Receipt(
        provider_id=_string(body, "id", limit=64),
        reference=_string(body, "reference", required=False, limit=64),
        to=_string(body, "to", required=False, limit=40),
        status=_string(body, "status", limit=40),
        detail=detail.strip(),
    )
