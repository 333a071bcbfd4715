"""Fee waivers: a claimant asks not to pay a case's fee, the tribunal's rules decide at once
when they can, and otherwise a clerk decides with a reason.

The rules (`PaymentSettings`): a household receiving social assistance is granted a full
waiver if the tribunal says so; so is one whose yearly income is below the threshold for its
size; one whose income is within the tribunal's band above it is granted a part waiver (the
fee less its reduced amount), if the fee has a reduced amount. A decision sets what the charge
waives, the date to pay by once refused (or once a part waiver leaves something to pay), the
case's "awaiting payment" flag, a case event, an audit entry and an email to the claimant in
the case's language. A waiver granted after the fee was paid proposes a refund of what is now
owed back, capped at what can still be refunded, for staff to confirm.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings.cases import add_event
from filings.documents.inspection import FileKind
from filings.documents.scanning import Scanner
from filings.documents.services import (
    SlotRules,
    UploadProblem,
    documents_of,
    keep_from_respondents,
    store_uploads,
)
from filings.models import CaseParty, Document, Filing, PartyRole
from payments.fees import services as fees
from payments.models import (
    FeeCharge,
    FeeWaiver,
    Payment,
    PaymentSettings,
    Refund,
    RefundState,
    WaiverState,
)
from payments.money import format_money
from payments.refunds.services import REFUNDABLE_STATES
from tribunals.models import Tribunal
from tribune import audit
from tribune.audit import AuditAction
from tribune.db import utcnow
from tribune.i18n import gettext as _
from tribune.i18n import use_language
from tribune.mail import Outbox
from tribune.storage.base import Storage
from tribune.uploads import ReceivedFile

MAX_HOUSEHOLD = 20
# The proof of income or of assistance sent with a request: a case document in a slot of its
# own, which the case's kind need not define, read by the staff and the claimant's side only.
# One file a request; a case keeps a few, for the requests made again after a refusal.
PROOF_SLOT = SlotRules(
    "fee_waiver_proof", (FileKind.PDF.value, FileKind.JPEG.value, FileKind.PNG.value), 5
)
keep_from_respondents(PROOF_SLOT.key)
PROPOSED_REFUND_REASON = "Fee waiver granted after payment"

EVENTS = {
    WaiverState.APPROVED: ("fee_waiver_approved", AuditAction.FEE_WAIVER_APPROVED),
    WaiverState.PART_APPROVED: ("fee_waiver_part_approved", AuditAction.FEE_WAIVER_PART_APPROVED),
    WaiverState.REFUSED: ("fee_waiver_refused", AuditAction.FEE_WAIVER_REFUSED),
}


class WaiverRefused(Exception):  # noqa: N818 - reads as what happened
    """The request or decision cannot be made as asked (the message says why, translated);
    nothing changed. `conflict`: someone else acted first (a 409, not a 422)."""

    def __init__(self, message: str, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.conflict = conflict


@dataclass(frozen=True)
class WaiverValues:
    household_size: int
    household_income_cents: int
    receives_assistance: bool


# -- the tribunal's rules ---------------------------------------------------------------------


def rules_decide(
    settings: PaymentSettings, charge: FeeCharge, values: WaiverValues
) -> WaiverState | None:
    """Return what the tribunal's rules grant at once (APPROVED or PART_APPROVED), or None
    when a clerk must decide."""
    if values.receives_assistance and settings.waive_for_assistance:
        return WaiverState.APPROVED
    threshold = fees.threshold_for(settings, values.household_size)
    if threshold is None:
        return None
    if values.household_income_cents < threshold:
        return WaiverState.APPROVED
    band = settings.part_waiver_band_percent
    if (
        band is not None
        and charge.reduced_amount_cents is not None
        and values.household_income_cents * 100 <= threshold * (100 + band)
    ):
        return WaiverState.PART_APPROVED
    return None


def waived_by(state: WaiverState, charge: FeeCharge) -> int:
    """What a decision takes off the fee."""
    if state is WaiverState.APPROVED:
        return charge.amount_cents
    if state is WaiverState.PART_APPROVED and charge.reduced_amount_cents is not None:
        return charge.amount_cents - charge.reduced_amount_cents
    return 0


# -- finding ----------------------------------------------------------------------------------


async def waiver_of(db: AsyncSession, tribunal: Tribunal, waiver_id: uuid.UUID) -> FeeWaiver | None:
    """Return one of the tribunal's waivers, or None (another tribunal's is None)."""
    return (
        await db.scalars(
            select(FeeWaiver).where(FeeWaiver.id == waiver_id, FeeWaiver.tribunal_id == tribunal.id)
        )
    ).first()


async def waiting(db: AsyncSession, tribunal: Tribunal) -> list[tuple[FeeWaiver, Filing]]:
    """The tribunal's waivers waiting for a clerk, oldest first, with their cases."""
    rows = await db.execute(
        select(FeeWaiver, Filing)
        .join(Filing, Filing.id == FeeWaiver.filing_id)
        .where(
            FeeWaiver.tribunal_id == tribunal.id,
            Filing.tribunal_id == tribunal.id,
            FeeWaiver.state == WaiverState.REQUESTED,
        )
        .order_by(FeeWaiver.created_at)
    )
    return [(row[0], row[1]) for row in rows]


# -- asking -----------------------------------------------------------------------------------


async def request_waiver(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    charge: FeeCharge,
    values: WaiverValues,
    *,
    actor: User,
    language: str,
    today: date,
) -> FeeWaiver:
    """Record a claimant's request, and decide it at once if the tribunal's rules can. Raises
    WaiverRefused if nothing is left to pay, a request already waits, or the values are not
    a household's."""
    if not 1 <= values.household_size <= MAX_HOUSEHOLD:
        raise WaiverRefused(_("Enter a household of 1 to %(n)s people", n=MAX_HOUSEHOLD))
    if values.household_income_cents < 0:
        raise WaiverRefused(_("The household's income cannot be less than zero"))
    balance = await fees.balance_of(db, charge)
    if balance.outstanding_cents == 0:
        raise WaiverRefused(_("Nothing is left to pay on this case."), conflict=True)
    already = _("A fee waiver you asked for on this case already waits for a decision.")
    if await waiting_on(db, charge) is not None:
        raise WaiverRefused(already, conflict=True)
    now = utcnow()
    waiver = FeeWaiver(
        id=uuid.uuid4(),
        tribunal_id=tribunal.id,
        filing_id=filing.id,
        charge_id=charge.id,
        requested_by_id=actor.id,
        household_size=values.household_size,
        household_income_cents=values.household_income_cents,
        receives_assistance=values.receives_assistance,
        declared_at=now,
        language=language,
        state=WaiverState.REQUESTED,
    )
    try:
        async with db.begin_nested():
            db.add(waiver)
    except IntegrityError:  # another request was saved at the same instant
        raise WaiverRefused(already, conflict=True) from None
    add_event(db, filing, "fee_waiver_requested", actor_id=actor.id, occurred_at=now)
    audit.record(
        db,
        AuditAction.FEE_WAIVER_REQUESTED,
        actor_id=actor.id,
        tribunal_id=tribunal.id,
        subject_type="filing",
        subject_id=filing.id,
        waiver=str(waiver.id),
    )
    settings = await fees.settings_of(db, tribunal)
    decided = rules_decide(settings, charge, values)
    if decided is not None:
        await _decide(
            db,
            outbox,
            tribunal,
            filing,
            charge,
            waiver,
            decided,
            _reason_in(language, decided, values, settings),
            actor=None,
            today=today,
            settings=settings,
        )
    return waiver


def _reason_in(
    language: str, state: WaiverState, values: WaiverValues, settings: PaymentSettings
) -> str:
    """The reason of an automatic decision, in the claimant's language (kept as written)."""
    with use_language(language):
        if values.receives_assistance and settings.waive_for_assistance:
            return _("You receive social assistance.")
        if state is WaiverState.PART_APPROVED:
            return _(
                "Your household's income is a little above the tribunal's limit for its size: "
                "you pay the reduced fee."
            )
        return _("Your household's income is below the tribunal's limit for its size.")


async def attach_proof(
    db: AsyncSession,
    storage: Storage,
    scanner: Scanner,
    tribunal: Tribunal,
    filing: Filing,
    file: ReceivedFile,
    *,
    uploader: User,
) -> int | UploadProblem:
    """Check the proof sent with a request as every document is checked (the case's count and
    size limits, its content by magic bytes, duplicates, the virus scan) and store it as a case
    document in the proof's slot; return 1, or the problem, having stored nothing. Storing
    commits the request with it (``EarlyCommit.AFTER_STORING_OBJECTS``), so call it last."""
    return await store_uploads(
        db,
        storage,
        scanner,
        tribunal=tribunal,
        filing=filing,
        slot=PROOF_SLOT,
        files=[file],
        uploader=uploader,
    )


async def proofs_of(db: AsyncSession, filing: Filing) -> list[Document]:
    """Return the proofs sent with the case's fee waiver requests, the earliest first."""
    return [d for d in await documents_of(db, filing) if d.slot == PROOF_SLOT.key]


async def waiting_on(db: AsyncSession, charge: FeeCharge) -> FeeWaiver | None:
    return (
        await db.scalars(
            select(FeeWaiver).where(
                FeeWaiver.charge_id == charge.id, FeeWaiver.state == WaiverState.REQUESTED
            )
        )
    ).first()


# -- deciding ---------------------------------------------------------------------------------


async def decide(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    charge: FeeCharge,
    waiver: FeeWaiver,
    state: WaiverState,
    reason: str,
    *,
    actor: User,
    today: date,
) -> None:
    """A clerk's decision, with its reason. Raises WaiverRefused if it cannot be made (a part
    waiver of a fee without a reduced amount, no reason) or, with `conflict`, if the waiver
    was decided meanwhile."""
    if state not in EVENTS:
        raise WaiverRefused(_("Select a decision"))
    if not reason.strip():
        raise WaiverRefused(_("Give the reason for the decision"))
    if state is WaiverState.PART_APPROVED and charge.reduced_amount_cents is None:
        raise WaiverRefused(_("This fee has no reduced amount: it cannot be waived in part."))
    await _decide(
        db,
        outbox,
        tribunal,
        filing,
        charge,
        waiver,
        state,
        reason.strip(),
        actor=actor,
        today=today,
    )


async def _decide(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    charge: FeeCharge,
    waiver: FeeWaiver,
    state: WaiverState,
    reason: str,
    *,
    actor: User | None,
    today: date,
    settings: PaymentSettings | None = None,
) -> None:
    now = utcnow()
    waived = waived_by(state, charge)
    decided = await db.execute(
        update(FeeWaiver)
        .where(FeeWaiver.id == waiver.id, FeeWaiver.state == WaiverState.REQUESTED)
        .values(
            state=state,
            decided_automatically=actor is None,
            decided_by_id=actor.id if actor else None,
            decided_at=now,
            reason=reason,
            waived_cents=waived,
        )
        .execution_options(synchronize_session=False)
    )
    if decided.rowcount != 1:  # type: ignore[attr-defined]
        raise WaiverRefused(
            _("This fee waiver was decided by someone else meanwhile. Nothing was changed."),
            conflict=True,
        )
    waiver.state, waiver.decided_at, waiver.reason = state, now, reason
    waiver.decided_automatically = actor is None
    waiver.decided_by_id = actor.id if actor else None
    waiver.waived_cents = waived
    settings = settings or await fees.settings_of(db, tribunal)
    charge.waived_cents = max(charge.waived_cents, waived)
    balance = await fees.refresh_awaiting_payment(db, filing, charge)
    if balance.outstanding_cents and state is not WaiverState.APPROVED:
        charge.pay_by = today + timedelta(days=settings.pay_within_days)
    await db.flush()
    kind, action = EVENTS[state]
    add_event(
        db,
        filing,
        kind,
        actor_id=actor.id if actor else None,
        occurred_at=now,
        details={"waived_cents": waived, "currency": charge.currency},
    )
    audit.record(
        db,
        action,
        actor_id=actor.id if actor else None,
        tribunal_id=tribunal.id,
        subject_type="filing",
        subject_id=filing.id,
        waiver=str(waiver.id),
        waived_cents=waived,
        automatic=actor is None,
    )
    if balance.owed_back_cents:
        await _propose_refunds(db, tribunal, filing, charge, balance.owed_back_cents, actor)
    await _tell_the_claimant(db, outbox, tribunal, filing, charge, waiver, balance)


async def _propose_refunds(
    db: AsyncSession,
    tribunal: Tribunal,
    filing: Filing,
    charge: FeeCharge,
    owed_back: int,
    actor: User | None,
) -> list[Refund]:
    """Propose refunds of what is owed back on the paid payments, oldest first, each capped
    at what can still be refunded on it, less the refunds already proposed."""
    payments = list(
        await db.scalars(
            select(Payment)
            .where(Payment.charge_id == charge.id, Payment.state.in_(REFUNDABLE_STATES))
            .order_by(Payment.created_at)
        )
    )
    proposed_rows = await db.scalars(
        select(Refund).where(
            Refund.payment_id.in_([payment.id for payment in payments]),
            Refund.state == RefundState.PROPOSED,
        )
    )
    proposed: dict[uuid.UUID, int] = {}
    for row in proposed_rows:
        proposed[row.payment_id] = proposed.get(row.payment_id, 0) + row.amount_cents
    remaining = owed_back - sum(proposed.values())
    made = []
    for payment in payments:
        if remaining <= 0:
            break
        refundable = payment.amount_cents - payment.refunded_cents - proposed.get(payment.id, 0)
        amount = min(remaining, refundable)
        if amount <= 0:
            continue
        refund_id = uuid.uuid4()
        refund = Refund(
            id=refund_id,
            tribunal_id=tribunal.id,
            filing_id=filing.id,
            payment_id=payment.id,
            amount_cents=amount,
            currency=payment.currency,
            reason=PROPOSED_REFUND_REASON,
            state=RefundState.PROPOSED,
            idempotency_key=f"refund-{refund_id}",
            requested_by_id=actor.id if actor else None,
        )
        db.add(refund)
        audit.record(
            db,
            AuditAction.REFUND_PROPOSED,
            actor_id=actor.id if actor else None,
            tribunal_id=tribunal.id,
            subject_type="filing",
            subject_id=filing.id,
            refund=str(refund_id),
            amount_cents=amount,
        )
        made.append(refund)
        remaining -= amount
    return made


async def _tell_the_claimant(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    filing: Filing,
    charge: FeeCharge,
    waiver: FeeWaiver,
    balance: fees.Balance,
) -> None:
    claimant = (
        await db.scalars(
            select(CaseParty).where(
                CaseParty.filing_id == filing.id,
                CaseParty.tribunal_id == tribunal.id,
                CaseParty.role == PartyRole.CLAIMANT,
            )
        )
    ).first()
    if claimant is None or not claimant.email:
        return
    language = filing.language or waiver.language
    outbox.queue(
        db,
        to=claimant.email,
        language=language,
        template="fee_waiver_decided",
        context={
            "tribunal": tribunal,
            "name": claimant.name,
            "reference": filing.reference or "",
            "state": waiver.state.value,
            "reason": waiver.reason,
            "waived": format_money(waiver.waived_cents, charge.currency, language),
            "left": format_money(balance.outstanding_cents, charge.currency, language),
            "left_cents": balance.outstanding_cents,
            "owed_back": format_money(balance.owed_back_cents, charge.currency, language),
            "owed_back_cents": balance.owed_back_cents,
            "pay_by": charge.pay_by,
            "url": outbox.url("filings:journey:case", tribunal=tribunal.slug, filing_id=filing.id),
        },
        tribunal_id=tribunal.id,
        case_id=filing.id,
    )
