"""Fee waivers: the tribunal's rules grant a full waiver at once (low income, social
assistance) or a part waiver (income within the band, for a fee with a reduced amount);
otherwise a clerk grants, grants in part or refuses with a reason. Each decision sets the
balance, the date to pay, the case's flag, an event, an audit entry and an email in the
claimant's language; a waiver granted after payment proposes a refund capped at what was
paid. Bad input changes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from accounts.models import User
from filings.models import CaseEvent, CaseParty, PartyRole
from payments.fees import services as fees
from payments.models import (
    FeeWaiver,
    Payment,
    PaymentMethod,
    PaymentSettings,
    PaymentState,
    Refund,
    RefundState,
    WaiverState,
)
from payments.waivers import services
from payments.waivers.services import WaiverRefused, WaiverValues
from tests.factories.accounts import make_user
from tests.factories.payments import ChargedCase, make_charged_case
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import as_user, count, french, last_message, post_form, text_of, translate
from tribunals.models import Role, Tribunal
from tribune.audit import AuditAction, AuditEvent
from tribune.db import local_today, utcnow
from tribune.mail import Outbox, OutboxMessage

THRESHOLDS = {"1": 2500000, "2": 3000000, "8": 6000000}  # $25,000, $30,000; 8 or more $60,000


async def scene(
    db: AsyncSession, *, reduced: int | None = 1000, language: str = "en", band: int | None = 25
) -> tuple[Tribunal, User, User, ChargedCase]:
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    db.add(
        PaymentSettings(
            tribunal_id=tribunal.id,
            income_thresholds=THRESHOLDS,
            waive_for_assistance=True,
            part_waiver_band_percent=band,
            pay_within_days=30,
        )
    )
    await db.commit()
    case = await make_charged_case(
        db, tribunal, amount_cents=5000, reduced_amount_cents=reduced, language=language
    )
    claimant = await db.get(User, case.filing.filer_id)
    assert claimant is not None
    return tribunal, clerk, claimant, case


def request_url(tribunal: Tribunal, case: ChargedCase) -> str:
    return f"/{tribunal.slug}/cases/{case.filing.id}/fee/waiver"


def decide_url(tribunal: Tribunal, waiver: FeeWaiver | uuid.UUID) -> str:
    waiver_id = waiver if isinstance(waiver, uuid.UUID) else waiver.id
    return f"/{tribunal.slug}/staff/fee-waivers/{waiver_id}"


async def ask(
    client: httpx.AsyncClient, tribunal: Tribunal, case: ChargedCase, **changes: str
) -> httpx.Response:
    fields = {
        "household_size": "2",
        "household_income": "45000",
        "receives_assistance": "no",
        "declared": "yes",
    }
    return await post_form(client, request_url(tribunal, case), {**fields, **changes})


async def the_waiver(db: AsyncSession, case: ChargedCase) -> FeeWaiver:
    waiver = (
        await db.scalars(select(FeeWaiver).where(FeeWaiver.filing_id == case.filing.id))
    ).one()
    await db.refresh(waiver)
    return waiver


async def refreshed(db: AsyncSession, case: ChargedCase) -> fees.Balance:
    await db.refresh(case.charge)
    await db.refresh(case.filing)
    return await fees.balance_of(db, case.charge)


async def event_kinds(db: AsyncSession, case: ChargedCase) -> list[str]:
    return list(
        (
            await db.scalars(
                select(CaseEvent.kind)
                .where(CaseEvent.filing_id == case.filing.id)
                .order_by(CaseEvent.occurred_at)
            )
        ).all()
    )


# -- the tribunal's rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("income", "assistance"), [("29999.99", "no"), ("900000", "yes"), ("0", "no")]
)
async def test_a_low_income_or_social_assistance_is_granted_in_full_at_once(
    client: httpx.AsyncClient, db: AsyncSession, income: str, assistance: str
) -> None:
    tribunal, _clerk, claimant, case = await scene(db)
    await as_user(client, claimant)
    page = text_of(await client.get(request_url(tribunal, case)))
    assert "How many people live in your household?" in page
    response = await ask(
        client, tribunal, case, household_income=income, receives_assistance=assistance
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/{tribunal.slug}/cases/{case.filing.id}#fees"
    waiver = await the_waiver(db, case)
    assert (waiver.state, waiver.decided_automatically, waiver.waived_cents) == (
        WaiverState.APPROVED,
        True,
        5000,
    )
    balance = await refreshed(db, case)
    assert (balance.outstanding_cents, case.charge.waived_cents) == (0, 5000)
    assert case.filing.awaiting_payment is False
    assert case.charge.pay_by is None
    assert await event_kinds(db, case) == [
        "submitted",
        "fee_waiver_requested",
        "fee_waiver_approved",
    ]
    actions = (await db.scalars(select(AuditEvent.action))).all()
    assert AuditAction.FEE_WAIVER_REQUESTED.value in actions
    assert AuditAction.FEE_WAIVER_APPROVED.value in actions
    message = await last_message(db, claimant.email)
    assert message.template == "fee_waiver_decided"
    assert "was granted" in message.subject
    assert "You have nothing left to pay." in message.body
    case_page = text_of(await client.get(f"/{tribunal.slug}/cases/{case.filing.id}"))
    assert "Your fee waiver was granted: you have nothing to pay." in case_page


async def test_an_income_within_the_band_is_granted_in_part_at_once(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, _clerk, claimant, case = await scene(db)  # $50.00, reduced $10.00, band 25 %
    await as_user(client, claimant)
    # $30,000 for two, 25 % above: up to $37,500.
    response = await ask(client, tribunal, case, household_income="37 500")
    assert response.status_code == 303
    waiver = await the_waiver(db, case)
    assert (waiver.state, waiver.waived_cents) == (WaiverState.PART_APPROVED, 4000)
    balance = await refreshed(db, case)
    assert (balance.waived_cents, balance.outstanding_cents) == (4000, 1000)
    assert case.filing.awaiting_payment is True
    pay_by = local_today(tribunal.time_zone) + timedelta(days=30)
    assert case.charge.pay_by == pay_by
    page = text_of(await client.get(f"/{tribunal.slug}/cases/{case.filing.id}"))
    assert (
        "Your fee waiver was granted in part: $40.00 was waived. You have $10.00 left to pay by"
        in page
    )
    message = await last_message(db, claimant.email)
    assert "$40.00" in message.body
    assert "$10.00 left to pay by" in message.body


@pytest.mark.parametrize(
    ("reduced", "band", "income"),
    [(1000, 25, "37500.01"), (None, 25, "31000"), (1000, None, "31000"), (1000, 25, "2000000")],
)
async def test_otherwise_a_clerk_decides(
    client: httpx.AsyncClient, db: AsyncSession, reduced: int | None, band: int | None, income: str
) -> None:
    tribunal, _clerk, claimant, case = await scene(db, reduced=reduced, band=band)
    await as_user(client, claimant)
    assert (await ask(client, tribunal, case, household_income=income)).status_code == 303
    waiver = await the_waiver(db, case)
    assert waiver.state is WaiverState.REQUESTED
    balance = await refreshed(db, case)
    assert balance.outstanding_cents == 5000
    assert case.filing.awaiting_payment is True
    page = text_of(await client.get(f"/{tribunal.slug}/cases/{case.filing.id}"))
    assert "You asked for a fee waiver." in page
    assert request_url(tribunal, case) not in page  # one request at a time
    assert await count(db, OutboxMessage, OutboxMessage.template == "fee_waiver_decided") == 0


async def test_eight_people_or_more_use_the_last_threshold() -> None:
    settings = PaymentSettings(income_thresholds=THRESHOLDS, waive_for_assistance=False)
    assert fees.threshold_for(settings, 12) == 6000000
    assert fees.threshold_for(settings, 3) is None


# -- the registry's decisions -----------------------------------------------------------------


async def a_waiting_waiver(
    client: httpx.AsyncClient, db: AsyncSession, **scene_values: object
) -> tuple[Tribunal, User, User, ChargedCase, FeeWaiver]:
    tribunal, clerk, claimant, case = await scene(db, **scene_values)  # type: ignore[arg-type]
    await as_user(client, claimant)
    assert (await ask(client, tribunal, case, household_income="90000")).status_code == 303
    waiver = await the_waiver(db, case)
    assert waiver.state is WaiverState.REQUESTED
    await as_user(client, clerk)
    return tribunal, clerk, claimant, case, waiver


async def test_a_clerk_grants_in_full_from_the_queue(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, clerk, _claimant, case, waiver = await a_waiting_waiver(client, db)
    queue = text_of(await client.get(f"/{tribunal.slug}/staff/fee-waivers"))
    assert decide_url(tribunal, waiver) in queue
    page = text_of(await client.get(decide_url(tribunal, waiver)))
    assert "$90,000.00" in page
    assert "$30,000.00" in page  # the limit for two
    response = await post_form(
        client, decide_url(tribunal, waiver), {"decision": "approve", "reason": "Proof seen."}
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/{tribunal.slug}/staff/cases/{case.filing.id}#fees"
    await db.refresh(waiver)
    assert (waiver.state, waiver.decided_by_id, waiver.reason) == (
        WaiverState.APPROVED,
        clerk.id,
        "Proof seen.",
    )
    assert waiver.decided_automatically is False
    balance = await refreshed(db, case)
    assert balance.outstanding_cents == 0
    assert case.filing.awaiting_payment is False
    assert decide_url(tribunal, waiver) not in text_of(
        await client.get(f"/{tribunal.slug}/staff/fee-waivers")
    )
    # Decided meanwhile: a second decision is a 409 and changes nothing.
    again = await post_form(
        client, decide_url(tribunal, waiver), {"decision": "refuse", "reason": "No."}
    )
    assert again.status_code == 409
    assert "decided by someone else meanwhile" in text_of(again)
    await db.refresh(waiver)
    assert waiver.state is WaiverState.APPROVED


async def test_a_clerk_grants_in_part_or_refuses_with_a_reason_and_a_date_to_pay(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, _clerk, _claimant, case, waiver = await a_waiting_waiver(client, db)
    response = await post_form(
        client, decide_url(tribunal, waiver), {"decision": "part", "reason": "Some hardship."}
    )
    assert response.status_code == 303
    balance = await refreshed(db, case)
    assert (balance.waived_cents, balance.outstanding_cents) == (4000, 1000)
    assert case.charge.pay_by == local_today(tribunal.time_zone) + timedelta(days=30)
    assert "fee_waiver_part_approved" in await event_kinds(db, case)

    tribunal, _clerk, claimant, case, waiver = await a_waiting_waiver(client, db)
    response = await post_form(
        client, decide_url(tribunal, waiver), {"decision": "refuse", "reason": "Income too high."}
    )
    assert response.status_code == 303
    balance = await refreshed(db, case)
    assert (balance.waived_cents, balance.outstanding_cents) == (0, 5000)
    assert case.charge.pay_by == local_today(tribunal.time_zone) + timedelta(days=30)
    assert case.filing.awaiting_payment is True
    assert "fee_waiver_refused" in await event_kinds(db, case)
    message = await last_message(db, claimant.email)
    assert "was refused" in message.subject
    assert "Income too high." in message.body
    assert "$50.00 left to pay by" in message.body
    # The claimant may ask again once refused.
    await as_user(client, claimant)
    page = text_of(await client.get(f"/{tribunal.slug}/cases/{case.filing.id}"))
    assert "Your fee waiver was refused. You have $50.00 left to pay by" in page
    assert "Income too high." in page
    assert request_url(tribunal, case) in page


async def test_a_decision_needs_a_reason_and_part_needs_a_reduced_amount(
    client: httpx.AsyncClient, db: AsyncSession, app: Starlette
) -> None:
    tribunal, clerk, _claimant, case, waiver = await a_waiting_waiver(client, db, reduced=None)
    clerk.language = "fr"
    await db.commit()
    await as_user(client, clerk)
    page = text_of(await client.get(decide_url(tribunal, waiver)))
    assert 'value="part"' not in page
    for data, message in (
        ({"decision": "approve", "reason": " "}, "Give the reason for the decision"),
        ({"decision": "part", "reason": "Half."}, "Select a decision"),
        ({"decision": "", "reason": "Why"}, "Select a decision"),
    ):
        response = await post_form(client, decide_url(tribunal, waiver), data)
        assert response.status_code == 422
        assert french(message) in text_of(response)
    await db.refresh(waiver)
    assert waiver.state is WaiverState.REQUESTED
    with pytest.raises(WaiverRefused):
        await services.decide(
            db,
            app.state.outbox,
            tribunal,
            case.filing,
            case.charge,
            waiver,
            WaiverState.PART_APPROVED,
            "Half.",
            actor=clerk,
            today=local_today(tribunal.time_zone),
        )


async def test_the_decision_email_is_in_the_claimants_language(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, _clerk, claimant, case, waiver = await a_waiting_waiver(client, db, language="fr")
    response = await post_form(
        client, decide_url(tribunal, waiver), {"decision": "part", "reason": "Motif."}
    )
    assert response.status_code == 303
    message = await last_message(db, claimant.email)
    assert message.language == "fr"
    reference = case.filing.reference or ""
    assert message.subject == french(
        "Case %(reference)s: your fee waiver was granted in part", reference=reference
    )
    assert "40,00\u00a0$" in message.body
    assert translate("fr", "Reason:") in message.body


# -- before and after payment -------------------------------------------------------------------


def counter_payment(case: ChargedCase, amount: int) -> Payment:
    return Payment(
        tribunal_id=case.charge.tribunal_id,
        filing_id=case.filing.id,
        charge_id=case.charge.id,
        amount_cents=amount,
        currency="CAD",
        provider="registry",
        method=PaymentMethod.COUNTER,
        state=PaymentState.SUCCEEDED,
        idempotency_key=f"counter-{uuid.uuid4()}",
        settled_at=utcnow(),
    )


# (waiver, paid before the waiver) -> (waived, left to pay, owed back, refund proposed)
MATRIX = {
    ("none", 0): (0, 5000, 0, None),
    ("none", 5000): (0, 0, 0, None),
    ("part", 0): (4000, 1000, 0, None),
    ("part", 1000): (4000, 0, 0, None),
    ("part", 5000): (4000, 0, 4000, 4000),
    ("full", 0): (5000, 0, 0, None),
    ("full", 1000): (5000, 0, 1000, 1000),
    ("full", 5000): (5000, 0, 5000, 5000),
}
DECISION = {"none": WaiverState.REFUSED, "part": WaiverState.PART_APPROVED}


@pytest.mark.parametrize(("decision", "paid"), list(MATRIX))
async def test_each_waiver_before_and_after_payment_adds_up(
    db: AsyncSession, app: Starlette, decision: str, paid: int
) -> None:
    tribunal, clerk, claimant, case = await scene(db)
    outbox: Outbox = app.state.outbox
    if paid:
        db.add(counter_payment(case, paid))
        await db.flush()
        await fees.refresh_awaiting_payment(db, case.filing, case.charge)
    if paid == 5000:
        # Paid in full: nothing left, a request is refused ...
        with pytest.raises(WaiverRefused):
            await services.request_waiver(
                db,
                outbox,
                tribunal,
                case.filing,
                case.charge,
                WaiverValues(2, 9000000, False),
                actor=claimant,
                language="en",
                today=local_today(tribunal.time_zone),
            )
        # ... but a waiver asked for before the payment may still be decided after it.
        waiver = FeeWaiver(
            tribunal_id=tribunal.id,
            filing_id=case.filing.id,
            charge_id=case.charge.id,
            household_size=2,
            household_income_cents=9000000,
            receives_assistance=False,
            declared_at=utcnow(),
            state=WaiverState.REQUESTED,
        )
        db.add(waiver)
        await db.flush()
    else:
        waiver = await services.request_waiver(
            db,
            outbox,
            tribunal,
            case.filing,
            case.charge,
            WaiverValues(2, 9000000, False),
            actor=claimant,
            language="en",
            today=local_today(tribunal.time_zone),
        )
    state = DECISION.get(decision, WaiverState.APPROVED)
    await services.decide(
        db,
        outbox,
        tribunal,
        case.filing,
        case.charge,
        waiver,
        state,
        "A reason",
        actor=clerk,
        today=local_today(tribunal.time_zone),
    )
    await db.commit()
    waived, left, owed_back, proposed = MATRIX[(decision, paid)]
    balance = await refreshed(db, case)
    assert (balance.waived_cents, balance.outstanding_cents, balance.owed_back_cents) == (
        waived,
        left,
        owed_back,
    )
    assert case.filing.awaiting_payment is (left > 0)
    refunds = (await db.scalars(select(Refund).where(Refund.filing_id == case.filing.id))).all()
    if proposed is None:
        assert refunds == []
    else:
        assert [(r.amount_cents, r.state, r.reason) for r in refunds] == [
            (proposed, RefundState.PROPOSED, "Fee waiver granted after payment")
        ]
        assert await count(db, AuditEvent, AuditEvent.action == AuditAction.REFUND_PROPOSED) == 1


async def test_the_proposed_refund_is_capped_at_what_can_still_be_refunded(
    db: AsyncSession, app: Starlette
) -> None:
    tribunal, clerk, _claimant, case = await scene(db)
    outbox: Outbox = app.state.outbox
    # Paid $30.00 then $20.00; $15.00 of the second already refunded (and $15.00 reserved).
    first = counter_payment(case, 3000)
    second = counter_payment(case, 2000)
    second.state = PaymentState.PARTLY_REFUNDED
    second.refunded_cents = 1500
    db.add_all([first, second])
    await db.flush()
    db.add(
        Refund(
            tribunal_id=tribunal.id,
            filing_id=case.filing.id,
            payment_id=second.id,
            amount_cents=1500,
            currency="CAD",
            reason="Paid too much",
            state=RefundState.SUCCEEDED,
            idempotency_key=f"refund-{uuid.uuid4()}",
            settled_at=utcnow(),
        )
    )
    waiver = FeeWaiver(
        tribunal_id=tribunal.id,
        filing_id=case.filing.id,
        charge_id=case.charge.id,
        household_size=1,
        household_income_cents=9000000,
        receives_assistance=False,
        declared_at=utcnow(),
        state=WaiverState.REQUESTED,
    )
    db.add(waiver)
    await db.flush()
    await services.decide(
        db,
        outbox,
        tribunal,
        case.filing,
        case.charge,
        waiver,
        WaiverState.APPROVED,
        "Granted",
        actor=clerk,
        today=local_today(tribunal.time_zone),
    )
    await db.commit()
    balance = await refreshed(db, case)
    assert balance.owed_back_cents == 3500  # kept $35.00, owes nothing now
    proposed = (await db.scalars(select(Refund).where(Refund.state == RefundState.PROPOSED))).all()
    by_payment = {refund.payment_id: refund.amount_cents for refund in proposed}
    assert by_payment == {first.id: 3000, second.id: 500}
    # No more than each payment's refundable amount, and no more than what is owed back.
    assert sum(by_payment.values()) == 3500


# -- bad input --------------------------------------------------------------------------------


async def test_bad_requests_are_refused_and_change_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, _clerk, claimant, case = await scene(db)
    claimant.language = "fr"
    await db.commit()
    await as_user(client, claimant)
    cases = {
        "negative income": (
            {"household_income": "-5"},
            "household_income",
            "The household's income cannot be less than zero",
        ),
        "letters": (
            {"household_income": "lots"},
            "household_income",
            "Enter the yearly income in dollars, like 32000 or 32,000.00",
        ),
        "no income": (
            {"household_income": ""},
            "household_income",
            "Enter your household's yearly income",
        ),
        "household of zero": (
            {"household_size": "0"},
            "household_size",
            "Enter a whole number of people from 1 to %(n)s, counting yourself",
        ),
        "household of letters": (
            {"household_size": "two"},
            "household_size",
            "Enter a whole number of people from 1 to %(n)s, counting yourself",
        ),
        "household too large": (
            {"household_size": "21"},
            "household_size",
            "Enter a whole number of people from 1 to %(n)s, counting yourself",
        ),
        "no assistance answer": (
            {"receives_assistance": ""},
            "receives_assistance",
            "Select yes if your household receives social assistance",
        ),
        "not declared": (
            {"declared": ""},
            "declared",
            "Confirm that the information you gave is true",
        ),
    }
    for what, (changes, field, message) in cases.items():
        response = await ask(client, tribunal, case, **changes)
        assert response.status_code == 422, what
        page = text_of(response)
        assert f'href="#{field}"' in page, what
        variables = {"n": "20"} if "%(n)s" in message else {}
        assert french(message, **variables) in page, what
    assert await count(db, FeeWaiver) == 0
    # A second request while one waits: refused, nothing added.
    assert (await ask(client, tribunal, case, household_income="90000")).status_code == 303
    second = await ask(client, tribunal, case, household_income="100")
    assert second.status_code == 409
    assert french("A fee waiver you asked for on this case already waits for a decision.") in (
        text_of(second)
    )
    assert await count(db, FeeWaiver) == 1


async def test_other_people_and_tribunals_get_a_404(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, _clerk, claimant, case, waiver = await a_waiting_waiver(client, db)
    other = await make_tribunal(db)
    other_clerk = await make_staff(db, other, Role.CLERK)
    stranger = await make_user(db)
    respondent = await make_user(db)
    db.add(
        CaseParty(
            tribunal_id=tribunal.id,
            filing_id=case.filing.id,
            role=PartyRole.RESPONDENT,
            name="Rory Respondent",
            user_id=respondent.id,
            joined_at=utcnow(),
        )
    )
    await db.commit()
    for person in (stranger, respondent):
        await as_user(client, person)
        assert (await client.get(request_url(tribunal, case))).status_code == 404
        assert (await ask(client, tribunal, case)).status_code == 404
    # Another tribunal's clerk, at their own tribunal's address with this waiver's id.
    await as_user(client, other_clerk)
    assert (await client.get(decide_url(other, waiver))).status_code == 404
    response = await post_form(
        client, decide_url(other, waiver), {"decision": "approve", "reason": "Forged"}
    )
    assert response.status_code == 404
    assert (await client.get(decide_url(other, uuid.uuid4()))).status_code == 404
    # The claimant is not the registry.
    await as_user(client, claimant)
    assert (await client.get(decide_url(tribunal, waiver))).status_code in (403, 404)
    await db.refresh(waiver)
    assert waiver.state is WaiverState.REQUESTED
