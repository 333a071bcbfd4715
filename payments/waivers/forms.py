"""The claimant's request for a fee waiver, and the registry's decision."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import ImmutableMultiDict

from payments.models import WaiverState
from payments.money import parse_cents
from payments.waivers.services import MAX_HOUSEHOLD, WaiverValues
from tribune.forms import Form
from tribune.i18n import gettext as _
from tribune.uploads import ReceivedForm

PROOF_FIELD = "proof"

DECISIONS = {
    "approve": WaiverState.APPROVED,
    "part": WaiverState.PART_APPROVED,
    "refuse": WaiverState.REFUSED,
}


def received_fields(received: ReceivedForm) -> ImmutableMultiDict[str, str]:
    """Return the text fields of a multipart request, as a urlencoded one gives them."""
    return ImmutableMultiDict(
        [(name, value) for name, values in received.fields.items() for value in values]
    )


def request_form(data: Mapping[str, Any]) -> tuple[Form, WaiverValues | None]:
    form = Form(data)
    size_text = form.text(
        "household_size", required=_("Enter how many people live in your household"), max_length=10
    )
    size: int | None = None
    if "household_size" not in form.errors:
        if size_text.isdigit() and size_text.isascii() and 1 <= int(size_text) <= MAX_HOUSEHOLD:
            size = int(size_text)
        else:
            form.add_error(
                "household_size",
                _(
                    "Enter a whole number of people from 1 to %(n)s, counting yourself",
                    n=MAX_HOUSEHOLD,
                ),
            )
    income_text = form.text(
        "household_income", required=_("Enter your household's yearly income"), max_length=20
    )
    income: int | None = None
    if "household_income" not in form.errors:
        if income_text.lstrip().startswith("-"):
            form.add_error("household_income", _("The household's income cannot be less than zero"))
        else:
            income = parse_cents(income_text)
            if income is None:
                form.add_error(
                    "household_income",
                    _("Enter the yearly income in dollars, like 32000 or 32,000.00"),
                )
    assistance = form.choice(
        "receives_assistance",
        ("yes", "no"),
        required=_("Select yes if your household receives social assistance"),
    )
    if form.value("declared") != "yes":
        form.add_error("declared", _("Confirm that the information you gave is true"))
    if not form.is_valid or size is None or income is None:
        return form, None
    return form, WaiverValues(
        household_size=size,
        household_income_cents=income,
        receives_assistance=assistance == "yes",
    )


def decision_form(
    data: Mapping[str, Any], *, part_allowed: bool
) -> tuple[Form, tuple[WaiverState, str] | None]:
    form = Form(data)
    choices = ("approve", "part", "refuse") if part_allowed else ("approve", "refuse")
    decision = form.choice("decision", choices, required=_("Select a decision"))
    reason = form.text(
        "reason",
        required=_("Give the reason for the decision"),
        max_length=2000,
        multiline=True,
    )
    if not form.is_valid:
        return form, None
    return form, (DECISIONS[decision], reason)
