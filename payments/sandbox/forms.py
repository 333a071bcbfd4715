"""The sandbox's hosted payment page's card form: a test card number, an expiry date not
past, a 3-digit security code and the name on the card."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from payments.sandbox.services import TestCard, card_of
from tribune.forms import Form
from tribune.i18n import gettext as _

_EXPIRY = re.compile(r"(\d{2})\s*/\s*(\d{2})", re.ASCII)
_DIGITS = re.compile(r"[\d -]{12,23}", re.ASCII)


def card_form(data: Mapping[str, Any], now: datetime) -> tuple[Form, TestCard | None]:
    """Return the form and the test card it names, or None with the form's errors."""
    form = Form(data)
    number = form.text("card_number", required=_("Enter the card number"), max_length=30)
    card: TestCard | None = None
    if "card_number" not in form.errors:
        if not _DIGITS.fullmatch(number):
            form.add_error("card_number", _("Enter the card number as it is on the card"))
        else:
            card = card_of(number)
            if card is None:
                form.add_error("card_number", _("Use one of the test cards listed on this page"))
    expiry = form.text("expiry", required=_("Enter the expiry date"), max_length=10)
    if "expiry" not in form.errors:
        matched = _EXPIRY.fullmatch(expiry)
        month = int(matched[1]) if matched else 0
        if matched is None or not 1 <= month <= 12:
            form.add_error("expiry", _("Enter the expiry date as month and year, like 04/29"))
        elif (2000 + int(matched[2]), month) < (now.year, now.month):
            form.add_error(
                "expiry", _("The card has expired: enter an expiry date that is not past")
            )
    code = form.text("security_code", required=_("Enter the security code"), max_length=10)
    if "security_code" not in form.errors and not re.fullmatch(r"\d{3}", code, re.ASCII):
        form.add_error("security_code", _("Enter the 3 digits of the security code"))
    form.text("name", required=_("Enter the name on the card"), max_length=100)
    return form, card if form.is_valid else None
