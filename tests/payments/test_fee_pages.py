"""The administrator's fee pages: the schedule by kind of case (in force, to come, past; a kind
that says a fee applies but has none in force is named), adding a fee (refused with the
input kept when it is wrong), and the payment settings (saved, audited, validated)."""

from __future__ import annotations

from datetime import time, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from payments.fees import services as fees
from payments.models import Fee, PaymentSettings
from tests.factories.filings import make_case_type
from tests.factories.payments import make_fee, make_fee_case_type
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import as_user, count, french, post_form, text_of
from tribunals.models import Role, Tribunal
from tribune.audit import AuditAction, AuditEvent
from tribune.db import local_today


def schedule_url(tribunal: Tribunal) -> str:
    return f"/{tribunal.slug}/staff/settings/fees"


def add_url(tribunal: Tribunal) -> str:
    return f"/{tribunal.slug}/staff/settings/fees/new"


def settings_url(tribunal: Tribunal) -> str:
    return f"/{tribunal.slug}/staff/settings/payments"


async def test_the_schedule_shows_each_kind_of_case_with_its_fees(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    today = local_today(tribunal.time_zone)
    paid_kind = await make_fee_case_type(db, tribunal)
    await make_fee(db, tribunal, paid_kind, amount_cents=4000, code="OLD-FEE")
    await fees.add_fee(
        db,
        tribunal,
        paid_kind.case_type_id,
        fees.FeeValues("NOW-FEE", 5000, 1000, today),
        actor=admin,
    )
    await fees.add_fee(
        db,
        tribunal,
        paid_kind.case_type_id,
        fees.FeeValues("NEXT-FEE", 6000, None, today + timedelta(days=30)),
        actor=admin,
    )
    await db.commit()
    await make_fee_case_type(db, tribunal)  # says a fee applies, has none
    await make_case_type(db, tribunal, title_en="Free kind")

    await as_user(client, admin)
    workspace = text_of(await client.get(f"/{tribunal.slug}/staff"))
    assert schedule_url(tribunal) in workspace
    assert settings_url(tribunal) in workspace
    response = await client.get(schedule_url(tribunal))
    assert response.status_code == 200
    page = text_of(response)
    for text in ("OLD-FEE", "NOW-FEE", "NEXT-FEE", "$50.00", "$10.00", "$60.00", "$40.00"):
        assert text in page
    assert "In force" in page
    assert "To come" in page
    assert "Past" in page
    assert "no fee is in force today" in page
    assert "says no fee applies" in page


async def test_only_an_administrator_reaches_the_fee_pages(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    other = await make_tribunal(db)
    other_admin = await make_staff(db, other, Role.ADMIN)
    for person in (clerk, other_admin):
        await as_user(client, person)
        for url in (schedule_url(tribunal), add_url(tribunal), settings_url(tribunal)):
            assert (await client.get(url)).status_code in (403, 404), url


async def test_an_administrator_adds_a_fee_from_today(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    kind = await make_fee_case_type(db, tribunal)
    await as_user(client, admin)
    page = text_of(await client.get(add_url(tribunal)))
    assert "Kind of case" in page
    assert "Reduced amount (optional)" in page
    today = local_today(tribunal.time_zone)
    response = await post_form(
        client,
        add_url(tribunal),
        {
            "case_type": str(kind.case_type_id),
            "code": "appeal-2027",
            "amount": "1 234,50",
            "reduced_amount": "25",
            "effective_from": today.isoformat(),
        },
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == schedule_url(tribunal) + "?added=1"
    fee = (await db.scalars(select(Fee).where(Fee.tribunal_id == tribunal.id))).one()
    assert (fee.code, fee.amount_cents, fee.reduced_amount_cents, fee.effective_from) == (
        "APPEAL-2027",
        123450,
        2500,
        today,
    )
    assert await count(db, AuditEvent, AuditEvent.action == AuditAction.FEE_ADDED) == 1
    assert "The fee is added to the schedule." in text_of(
        await client.get(response.headers["location"])
    )


async def test_a_wrong_fee_is_refused_with_the_input_kept_and_nothing_added(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN, language="fr")
    kind = await make_fee_case_type(db, tribunal)
    other = await make_tribunal(db)
    other_kind = await make_fee_case_type(db, other)
    today = local_today(tribunal.time_zone)
    await make_fee(db, tribunal, kind, effective_from=today + timedelta(days=10), code="LATER")
    await as_user(client, admin)
    good = {
        "case_type": str(kind.case_type_id),
        "code": "APPEAL",
        "amount": "50.00",
        "reduced_amount": "",
        "effective_from": (today + timedelta(days=20)).isoformat(),
    }
    cases = {
        "no kind": ({"case_type": ""}, "case_type", "Select the kind of case"),
        "another tribunal's kind": (
            {"case_type": str(other_kind.case_type_id)},
            "case_type",
            "Select the kind of case",
        ),
        "bad code": (
            {"code": "APPEAL 2027!"},
            "code",
            "A fee code has only letters A to Z, digits and dashes, like APPEAL-2027",
        ),
        "long code": ({"code": "A" * 41}, "code", None),
        "letters": (
            {"amount": "fifty"},
            "amount",
            "Enter an amount in dollars and cents, like 50.00",
        ),
        "zero": ({"amount": "0"}, "amount", "Enter a fee greater than zero"),
        "negative": (
            {"amount": "-5"},
            "amount",
            "Enter an amount in dollars and cents, like 50.00",
        ),
        "reduced too high": (
            {"reduced_amount": "50"},
            "reduced_amount",
            "The reduced amount must be less than the fee",
        ),
        "no date": (
            {"effective_from": ""},
            "effective_from",
            "Enter the date the fee starts to apply",
        ),
        "not a date": (
            {"effective_from": "2027-02-30"},
            "effective_from",
            "Enter a real date, like 2027-03-15",
        ),
        "past": (
            {"effective_from": (today - timedelta(days=1)).isoformat()},
            "effective_from",
            "A new fee cannot start in the past. Choose today or a later date.",
        ),
    }
    for what, (changes, field, message) in cases.items():
        response = await post_form(client, add_url(tribunal), {**good, **changes})
        assert response.status_code == 422, what
        page = text_of(response)
        assert 'class="govuk-error-summary"' in page, what
        assert f'href="#{field}"' in page, what
        if message is not None:
            assert french(message) in page, what
        if field != "code":
            assert 'value="APPEAL"' in page, what  # the input is kept
    # Before the latest entry's start: add_fee's own refusal, translated.
    before = await post_form(
        client,
        add_url(tribunal),
        {**good, "effective_from": (today + timedelta(days=5)).isoformat()},
    )
    assert before.status_code == 422
    assert "LATER" not in text_of(before)
    assert await count(db, Fee, Fee.tribunal_id == tribunal.id) == 1
    assert await count(db, Fee, Fee.tribunal_id == other.id) == 0


async def test_payment_settings_start_from_the_defaults_and_are_saved_and_audited(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    defaults = await fees.settings_of(db, tribunal)
    assert (defaults.pay_within_days, defaults.waive_for_assistance) == (30, True)
    assert await count(db, PaymentSettings) == 0
    await as_user(client, admin)
    page = text_of(await client.get(settings_url(tribunal)))
    assert "8 people or more" in page
    assert tribunal.time_zone in page
    values = {f"threshold-{size}": "" for size in range(1, 9)} | {
        "threshold-1": "25 000",
        "threshold-4": "45,000.00",
        "waive_for_assistance": "no",
        "part_waiver_band_percent": "25",
        "pay_within_days": "45",
        "refund_approval_above": "100",
        "reconciliation_cutoff": "17:30",
    }
    response = await post_form(client, settings_url(tribunal), values)
    assert response.status_code == 303, response.text
    saved = await db.get(PaymentSettings, tribunal.id)
    assert saved is not None
    await db.refresh(saved)
    assert saved.income_thresholds == {"1": 2500000, "4": 4500000}
    assert saved.waive_for_assistance is False
    assert (saved.part_waiver_band_percent, saved.pay_within_days) == (25, 45)
    assert saved.refund_approval_above_cents == 10000
    assert saved.reconciliation_cutoff == time(17, 30)
    assert fees.threshold_for(saved, 12) is None  # 8 or more: not set
    assert fees.threshold_for(saved, 4) == 4500000
    assert (
        await count(db, AuditEvent, AuditEvent.action == AuditAction.PAYMENT_SETTINGS_CHANGED) == 1
    )
    page = text_of(await client.get(settings_url(tribunal) + "?saved=1"))
    assert 'value="25000.00"' in page
    assert 'value="17:30"' in page
    assert "Your changes are saved." in page
    # Emptying the optional fields clears them.
    cleared = {**values, "part_waiver_band_percent": "", "refund_approval_above": ""}
    assert (await post_form(client, settings_url(tribunal), cleared)).status_code == 303
    await db.refresh(saved)
    cleared_row = await db.get(PaymentSettings, tribunal.id)
    assert cleared_row is not None
    assert cleared_row.part_waiver_band_percent is None
    assert cleared_row.refund_approval_above_cents is None


async def test_wrong_payment_settings_are_refused_and_change_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN, language="fr")
    await as_user(client, admin)
    good = {f"threshold-{size}": "" for size in range(1, 9)} | {
        "waive_for_assistance": "yes",
        "part_waiver_band_percent": "",
        "pay_within_days": "30",
        "refund_approval_above": "",
        "reconciliation_cutoff": "00:00",
    }
    cases = {
        "threshold letters": ({"threshold-3": "lots"}, "threshold-3"),
        "negative threshold": ({"threshold-2": "-100"}, "threshold-2"),
        "band zero": ({"part_waiver_band_percent": "0"}, "part_waiver_band_percent"),
        "band too high": ({"part_waiver_band_percent": "101"}, "part_waiver_band_percent"),
        "no days": ({"pay_within_days": ""}, "pay_within_days"),
        "days zero": ({"pay_within_days": "0"}, "pay_within_days"),
        "days too many": ({"pay_within_days": "366"}, "pay_within_days"),
        "no choice": ({"waive_for_assistance": "maybe"}, "waive_for_assistance"),
        "approval letters": ({"refund_approval_above": "a hundred"}, "refund_approval_above"),
        "bad time": ({"reconciliation_cutoff": "25:00"}, "reconciliation_cutoff"),
        "no time": ({"reconciliation_cutoff": ""}, "reconciliation_cutoff"),
    }
    for what, (changes, field) in cases.items():
        response = await post_form(client, settings_url(tribunal), {**good, **changes})
        assert response.status_code == 422, what
        page = text_of(response)
        assert f'href="#{field}"' in page, what
        assert french("There is a problem") in page, what
    assert await count(db, PaymentSettings) == 0
