"""What fees add to the filing pages: the fee on a kind of case's start page, the case's
balance on the parties' and the registry's case pages, and the page a filer goes to once the
case is submitted while its fee is owed (pay now, ask for a waiver, or pay later).

Each section reads a fixed number of statements, whatever the number of payments, refunds
and waivers: the charge, then the ledger's five (`services.ledger_of`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from filings.access import Actor
from filings.cases import is_paper_filing
from filings.models import CaseTypeVersion, Filing
from filings.sections import (
    CasePage,
    CaseSection,
    SectionContext,
    provides,
    provides_next_step,
    provides_start,
)
from payments.fees import services
from payments.models import PaymentMethod, PaymentState, RefundState, WaiverState
from payments.refunds.services import refundable_cents
from tribunals.tenancy import current_tribunal
from tribune.db import utcnow
from tribune.i18n import gettext as _
from tribune.web import db_of, url_path

CLAIMANT_SIDE = frozenset({Actor.CLAIMANT, Actor.REPRESENTATIVE})
REGISTRY = frozenset({Actor.CLERK, Actor.ADMIN})


def method_names() -> dict[PaymentMethod, str]:
    return {
        PaymentMethod.CARD: _("Card, online"),
        PaymentMethod.COUNTER: _("At the registry's counter"),
        PaymentMethod.CHEQUE: _("Cheque"),
    }


def payment_state_names() -> dict[PaymentState, str]:
    return {
        PaymentState.CREATED: _("Not finished"),
        PaymentState.PENDING: _("Waiting for the bank's answer"),
        PaymentState.SUCCEEDED: _("Paid"),
        PaymentState.FAILED: _("Refused by the bank"),
        PaymentState.CANCELLED: _("Cancelled"),
        PaymentState.EXPIRED: _("Expired before it was finished"),
        PaymentState.PARTLY_REFUNDED: _("Paid, partly refunded"),
        PaymentState.REFUNDED: _("Refunded"),
    }


def refund_state_names() -> dict[RefundState, str]:
    return {
        RefundState.PROPOSED: _("Proposed, waiting for staff to confirm it"),
        RefundState.AWAITING_APPROVAL: _("Waiting for another member of staff's approval"),
        RefundState.PENDING: _("Being made"),
        RefundState.SUCCEEDED: _("Made"),
        RefundState.FAILED: _("Failed"),
        RefundState.REJECTED: _("Not made"),
    }


def waiver_state_names() -> dict[WaiverState, str]:
    return {
        WaiverState.REQUESTED: _("Waiting for the registry's decision"),
        WaiverState.APPROVED: _("Granted"),
        WaiverState.PART_APPROVED: _("Granted in part"),
        WaiverState.REFUSED: _("Refused"),
    }


# -- the kind of case's start page ------------------------------------------------------------


@provides_start
async def start_section(request: Request, version: CaseTypeVersion) -> CaseSection:
    """The fee a case of this kind started today would owe, how it is paid, and that a fee
    waiver can be asked for instead; or that there is no fee."""
    tribunal = current_tribunal(request)
    db = db_of(request)
    fee = await services.fee_for_new_case(db, tribunal, version, utcnow())
    values: dict[str, Any] = {"fee": fee, "assistance": False, "part": False, "income": False}
    if fee is not None:
        settings = await services.settings_of(db, tribunal)
        values |= {
            "assistance": settings.waive_for_assistance,
            "income": bool(settings.income_thresholds),
            "part": bool(settings.income_thresholds)
            and settings.part_waiver_band_percent is not None
            and fee.reduced_amount_cents is not None,
        }
    return CaseSection("payments/fees/start_section.html", values)


# -- the case pages ---------------------------------------------------------------------------


async def _ledger_values(context: SectionContext) -> dict[str, Any] | None:
    db = db_of(context.request)
    charge = await services.charge_of(db, context.filing)
    if charge is None:
        return None
    ledger = await services.ledger_of(db, charge)
    return {
        "ledger": ledger,
        "charge": charge,
        "balance": ledger.balance,
        "waiting_waiver": ledger.waiting_waiver,
        "decided_waiver": ledger.last_decided_waiver,
        "method_names": method_names(),
        "payment_states": payment_state_names(),
        "refund_states": refund_state_names(),
        "waiver_states": waiver_state_names(),
    }


@provides(CasePage.PARTIES, order=5)
async def parties_fee_section(context: SectionContext) -> CaseSection | None:
    """The fee, what was waived, paid and refunded, and what is left to pay, for the claimant
    and their representative; with the links to pay it or ask for a waiver while it is owed."""
    if not context.actors & CLAIMANT_SIDE:
        return None
    values = await _ledger_values(context)
    if values is None:
        return None
    request = context.request
    ids = {"tribunal": current_tribunal(request).slug, "filing_id": context.filing.id}
    owed = values["balance"].outstanding_cents > 0
    values |= {
        "pay_url": url_path(request, "payments:checkout:fee", **ids) if owed else None,
        "waiver_url": url_path(request, "payments:waivers:request", **ids)
        if owed and values["waiting_waiver"] is None
        else None,
    }
    return CaseSection("payments/fees/parties_section.html", values)


@provides(CasePage.STAFF, order=50)
async def staff_fee_section(context: SectionContext) -> CaseSection | None:
    """The case's balance for staff, with the registry's links: record a counter or cheque
    payment, refund a payment, decide the waiting fee waiver."""
    values = await _ledger_values(context)
    if values is None:
        return None
    registry = bool(context.actors & REGISTRY)
    ledger: services.Ledger = values["ledger"]
    values |= {
        "registry": registry,
        "awaiting_payment": context.filing.awaiting_payment,
        "may_record": registry and ledger.balance.outstanding_cents > 0,
        "refundable": {payment.id: refundable_cents(payment) for payment in ledger.payments},
    }
    return CaseSection("payments/fees/staff_section.html", values)


# -- after the declaration --------------------------------------------------------------------


@provides_next_step
async def pay_or_ask_for_a_waiver(request: Request, filing: Filing) -> str | None:
    """A case that awaits payment goes on to paying (or asking for a waiver); a paper filing
    a clerk entered goes to recording the payment taken at the counter or by cheque."""
    if not filing.awaiting_payment:
        return None
    ids = {"tribunal": current_tribunal(request).slug, "filing_id": filing.id}
    if is_paper_filing(filing):
        return url_path(request, "payments:refunds:record_payment", **ids)
    return url_path(request, "payments:checkout:fee", **ids)
