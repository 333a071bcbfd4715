"""The registry's forms: a payment taken at the counter or by cheque, and a refund."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from payments.models import PaymentMethod
from payments.money import parse_cents
from payments.refunds.services import CounterPayment, RefundValues
from tribune.forms import Form
from tribune.i18n import gettext as _

METHODS = {"counter": PaymentMethod.COUNTER, "cheque": PaymentMethod.CHEQUE}


def cents_to_text(cents: int) -> str:
    """An amount as a form shows it for editing: 50.00."""
    return f"{cents // 100}.{cents % 100:02d}"


def _amount(form: Form, name: str, *, required: str) -> int | None:
    text = form.text(name, required=required, max_length=20)
    if name in form.errors:
        return None
    cents = parse_cents(text)
    if cents is None:
        form.add_error(name, _("Enter the amount in dollars and cents, like 50.00"))
    return cents


def _seen(form: Form, name: str) -> int | None:
    raw = form.value(name)
    if not raw.isdigit() or len(raw) > 12:
        form.add_error(name, _("This page is out of date. Open it again."))
        return None
    return int(raw)


def counter_payment_form(data: Mapping[str, Any]) -> tuple[Form, CounterPayment | None]:
    form = Form(data)
    amount = _amount(form, "amount", required=_("Enter the amount received"))
    method = form.choice("method", METHODS, required=_("Select how the payment was made"))
    cheque_number = form.text("cheque_number", max_length=40)
    if method == "cheque" and not cheque_number and "cheque_number" not in form.errors:
        form.add_error("cheque_number", _("Enter the cheque number"))
    seen = _seen(form, "seen_outstanding")
    if not form.is_valid or amount is None or seen is None:
        return form, None
    return form, CounterPayment(
        amount_cents=amount,
        method=METHODS[method],
        cheque_number=cheque_number if method == "cheque" else "",
        seen_outstanding_cents=seen,
    )


def refund_form(data: Mapping[str, Any]) -> tuple[Form, RefundValues | None]:
    form = Form(data)
    amount = _amount(form, "amount", required=_("Enter the amount to refund"))
    reason = form.text(
        "reason", required=_("Give the reason for the refund"), max_length=2000, multiline=True
    )
    seen = _seen(form, "seen_refundable")
    if not form.is_valid or amount is None or seen is None:
        return form, None
    return form, RefundValues(amount_cents=amount, reason=reason, seen_refundable_cents=seen)
