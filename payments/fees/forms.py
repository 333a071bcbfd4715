"""The administrator's forms: an entry of the fee schedule, and the tribunal's payment
settings (waiver rules, days to pay, refund approval, reconciliation cut-off)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import date, time
from typing import Any

from payments.fees.services import HOUSEHOLD_SIZES, FeeValues, SettingsValues
from payments.models import PaymentSettings
from payments.money import parse_cents
from tribune.forms import Form, is_usable_date
from tribune.i18n import gettext as _

_CODE = re.compile(r"[A-Z0-9-]{1,40}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"(?P<hour>[0-9]{1,2})[:h](?P<minute>[0-9]{2})")
_WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")
MAX_PAY_WITHIN_DAYS = 365


def cents_to_text(cents: int | None) -> str:
    """An amount as a form shows it for editing (50.00), or nothing."""
    return "" if cents is None else f"{cents // 100}.{cents % 100:02d}"


def read_amount(form: Form, name: str, *, required: str | None) -> int | None:
    """Return the cents typed in a field ("50", "50.00", "1 234,50"), or None if it is empty
    (with `required`'s message) or not an amount (with a message for the field)."""
    text = form.text(name, max_length=20)
    if name in form.errors:
        return None
    if not text:
        if required:
            form.add_error(name, required)
        return None
    cents = parse_cents(text)
    if cents is None:
        form.add_error(name, _("Enter an amount in dollars and cents, like 50.00"))
    return cents


def read_whole_number(
    form: Form, name: str, low: int, high: int, *, required: str | None, out_of_bounds: str
) -> int | None:
    text = form.values.get(name, "").strip()
    if not text:
        if required:
            form.add_error(name, required)
        return None
    if not _WHOLE_NUMBER.fullmatch(text) or not low <= int(text) <= high:
        form.add_error(name, out_of_bounds)
        return None
    return int(text)


def read_date(form: Form, name: str, *, required: str) -> date | None:
    """Return the date in a date field (YYYY-MM-DD, as browsers send it), or None."""
    text = form.values.get(name, "").strip()
    if not text:
        form.add_error(name, required)
        return None
    try:
        day = date.fromisoformat(text) if _DATE.fullmatch(text) else None
    except ValueError:
        day = None
    if day is None or not is_usable_date(day):
        form.add_error(name, _("Enter a real date, like 2027-03-15"))
        return None
    return day


# -- an entry of the schedule ---------------------------------------------------------------


def fee_form(
    data: Mapping[str, Any], case_type_ids: set[uuid.UUID]
) -> tuple[Form, tuple[uuid.UUID, FeeValues] | None]:
    """Read an entry of the schedule for one of the tribunal's kinds of case (`case_type_ids`)."""
    form = Form(data)
    chosen = form.value("case_type").strip()
    case_type_id = next((ct for ct in case_type_ids if str(ct) == chosen), None)
    if case_type_id is None:
        form.add_error("case_type", _("Select the kind of case"))
    code = form.text("code", required=_("Enter the fee code"), max_length=40).upper()
    if "code" not in form.errors and not _CODE.fullmatch(code):
        form.add_error(
            "code", _("A fee code has only letters A to Z, digits and dashes, like APPEAL-2027")
        )
    amount = read_amount(form, "amount", required=_("Enter the amount of the fee"))
    if amount is not None and amount <= 0:
        form.add_error("amount", _("Enter a fee greater than zero"))
    reduced = read_amount(form, "reduced_amount", required=None)
    if reduced is not None and amount is not None and reduced >= amount:
        form.add_error("reduced_amount", _("The reduced amount must be less than the fee"))
    effective_from = read_date(
        form, "effective_from", required=_("Enter the date the fee starts to apply")
    )
    if not form.is_valid or case_type_id is None or amount is None or effective_from is None:
        return form, None
    return form, (
        case_type_id,
        FeeValues(
            code=code,
            amount_cents=amount,
            reduced_amount_cents=reduced,
            effective_from=effective_from,
        ),
    )


# -- the payment settings -------------------------------------------------------------------


def settings_data(settings: PaymentSettings) -> dict[str, str]:
    """The settings as their form shows them."""
    thresholds = settings.income_thresholds or {}
    data = {
        f"threshold-{size}": cents_to_text(thresholds.get(str(size))) for size in HOUSEHOLD_SIZES
    }
    band = settings.part_waiver_band_percent
    return data | {
        "waive_for_assistance": "yes" if settings.waive_for_assistance else "no",
        "part_waiver_band_percent": "" if band is None else str(band),
        "pay_within_days": str(settings.pay_within_days),
        "refund_approval_above": cents_to_text(settings.refund_approval_above_cents),
        "reconciliation_cutoff": settings.reconciliation_cutoff.strftime("%H:%M"),
    }


def settings_form(data: Mapping[str, Any]) -> tuple[Form, SettingsValues | None]:
    form = Form(data)
    thresholds: dict[str, int] = {}
    for size in HOUSEHOLD_SIZES:
        cents = read_amount(form, f"threshold-{size}", required=None)
        if cents is not None:
            thresholds[str(size)] = cents
    assistance = form.choice(
        "waive_for_assistance",
        ("yes", "no"),
        required=_("Select whether a household receiving social assistance gets a full waiver"),
    )
    band = read_whole_number(
        form,
        "part_waiver_band_percent",
        1,
        100,
        required=None,
        out_of_bounds=_("Enter a whole number of percent from 1 to 100, or leave it empty"),
    )
    days = read_whole_number(
        form,
        "pay_within_days",
        1,
        MAX_PAY_WITHIN_DAYS,
        required=_("Enter the number of days to pay after a refused waiver"),
        out_of_bounds=_("Enter a number of days from 1 to %(n)s", n=MAX_PAY_WITHIN_DAYS),
    )
    approval = read_amount(form, "refund_approval_above", required=None)
    cutoff = _read_time(form, "reconciliation_cutoff")
    if not form.is_valid or days is None or cutoff is None:
        return form, None
    return form, SettingsValues(
        income_thresholds=thresholds,
        waive_for_assistance=assistance == "yes",
        part_waiver_band_percent=band,
        pay_within_days=days,
        refund_approval_above_cents=approval,
        reconciliation_cutoff=cutoff,
    )


def _read_time(form: Form, name: str) -> time | None:
    text = form.values.get(name, "").strip()
    if not text:
        form.add_error(name, _("Enter the reconciliation's daily cut-off time, like 00:00"))
        return None
    matched = _TIME.fullmatch(text)
    if matched is None or int(matched["hour"]) > 23 or int(matched["minute"]) > 59:
        form.add_error(name, _("Enter a time in hours and minutes, like 00:00 or 17:30"))
        return None
    return time(int(matched["hour"]), int(matched["minute"]))
