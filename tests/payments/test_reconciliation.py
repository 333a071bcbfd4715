"""The daily reconciliation against the sandbox provider, whose books are its own tables: a day
that matches, a mismatch each way, the cut-off and zone deciding the day, the CSV (formulas
neutralised, audited), the last 90 days in a fixed number of statements, bad days and other
tribunals answered 404, and a provider that does not answer."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.applications import Starlette

from accounts.models import User
from payments.models import PaymentMethod, PaymentSettings
from payments.providers import ProviderUnavailableError, TransactionKind
from payments.providers.sandbox import SandboxProvider
from payments.reconciliation import services
from payments.reconciliation.services import Difference
from tests.factories.payments import (
    ChargedCase,
    make_card_payment,
    make_card_refund,
    make_charged_case,
    make_registry_payment,
    make_sandbox_payment,
)
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import as_user, count, french, text_of
from tribunals.models import Role, Tribunal
from tribune.audit import AuditAction, AuditEvent
from tribune.db import utcnow

DAY = date(2026, 12, 3)  # in Toronto: EST, UTC-5
NOON = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)


async def scene(db: AsyncSession, **tribunal_values: object) -> tuple[Tribunal, User, ChargedCase]:
    tribunal = await make_tribunal(db, **tribunal_values)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    case = await make_charged_case(db, tribunal, amount_cents=5000)
    return tribunal, admin, case


def day_url(tribunal: Tribunal, day: date | str = DAY, csv_file: bool = False) -> str:
    return f"/{tribunal.slug}/staff/reconciliation/{day}" + ("/csv" if csv_file else "")


def provider(db: AsyncSession) -> SandboxProvider:
    return SandboxProvider(db, secret="test", page_url="http://testserver/{checkout}")


async def test_a_day_that_matches_lists_every_payment_and_refund_with_its_totals(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, admin, case = await scene(db)
    payment, checkout = await make_card_payment(db, tribunal, case, paid_at=NOON)
    assert checkout is not None
    await make_card_refund(
        db, tribunal, payment, checkout, amount_cents=2000, refunded_at=NOON + timedelta(hours=1)
    )
    other = await make_charged_case(db, tribunal, amount_cents=7500)
    await make_registry_payment(
        db, tribunal, other, paid_at=NOON + timedelta(hours=2), method=PaymentMethod.CHEQUE
    )
    # The next day's payment is not this day's.
    later = await make_charged_case(db, tribunal, amount_cents=1234)
    await make_card_payment(db, tribunal, later, paid_at=datetime(2026, 12, 4, 5, 0, tzinfo=UTC))

    found = await services.reconcile(
        db, tribunal, provider(db), services.window_of(tribunal, DAY, time(0, 0))
    )
    assert found.differences == []
    assert [(line.kind, line.reference) for line in found.lines] == [
        (TransactionKind.PAYMENT, payment.provider_payment_reference),
        (TransactionKind.REFUND, found.lines[1].reference),
    ]
    assert [(entry.method, entry.amount_cents) for entry in found.registry] == [
        (PaymentMethod.CHEQUE, 7500)
    ]
    assert {(t.source, t.kind, t.status, t.count, t.cents) for t in found.platform_totals} == {
        ("sandbox", TransactionKind.PAYMENT, "partly_refunded", 1, 5000),
        ("sandbox", TransactionKind.REFUND, "succeeded", 1, 2000),
        ("registry", TransactionKind.PAYMENT, "succeeded", 1, 7500),
    }
    assert {(t.kind, t.count, t.cents) for t in found.provider_totals} == {
        (TransactionKind.PAYMENT, 1, 5000),
        (TransactionKind.REFUND, 1, 2000),
    }

    await as_user(client, admin)
    page = await client.get(day_url(tribunal))
    assert page.status_code == 200
    text = text_of(page)
    assert "From 2026-12-03 00:00 EST to 2026-12-04 00:00 EST." in text
    assert "No difference: every card payment and refund of the day is in both" in text
    assert payment.provider_payment_reference in text
    assert str(case.filing.reference) in text
    assert str(other.filing.reference) in text
    assert str(later.filing.reference) not in text
    for amount in ("$50.00", "$20.00", "$75.00"):
        assert amount in text
    assert "Cheque" in text


async def test_a_mismatch_each_way_and_a_different_amount_are_listed(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, admin, case = await scene(db)
    stray = await make_sandbox_payment(db, tribunal, amount_cents=4200, paid_at=NOON)
    missing, _none = await make_card_payment(
        db, tribunal, case, paid_at=NOON + timedelta(minutes=5), with_provider=False
    )
    other = await make_charged_case(db, tribunal, amount_cents=5000)
    differs, _checkout = await make_card_payment(
        db, tribunal, other, paid_at=NOON + timedelta(minutes=10), provider_amount_cents=4500
    )
    matches = await make_charged_case(db, tribunal, amount_cents=3000)
    await make_card_payment(db, tribunal, matches, paid_at=NOON + timedelta(minutes=15))
    # Another tribunal's payment with the provider is none of this one's business.
    elsewhere = await make_tribunal(db)
    await make_sandbox_payment(db, elsewhere, amount_cents=999, paid_at=NOON)

    found = await services.reconcile(
        db, tribunal, provider(db), services.window_of(tribunal, DAY, time(0, 0))
    )
    assert [(line.reference, line.difference) for line in found.differences] == [
        (stray.payment_reference, Difference.PROVIDER_ONLY),
        (missing.provider_payment_reference, Difference.PLATFORM_ONLY),
        (differs.provider_payment_reference, Difference.AMOUNT),
    ]
    assert found.matched == 1

    await as_user(client, admin)
    text = text_of(await client.get(day_url(tribunal)))
    assert "3 differences between the platform and the payment service." in text
    for label in (
        "With the provider, not on the platform",
        "On the platform, not with the provider",
        "Amounts differ",
    ):
        assert label in text
    assert "$42.00" in text
    assert "$45.00" in text
    assert "$9.99" not in text


async def test_the_cutoff_and_the_zone_decide_the_day(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, admin, case = await scene(db)
    db.add(PaymentSettings(tribunal_id=tribunal.id, reconciliation_cutoff=time(17, 0)))
    await db.commit()
    # 16:30 EST on the 3rd: the day of the 2nd (17:00 on the 2nd to 17:00 on the 3rd).
    before, _c1 = await make_card_payment(
        db, tribunal, case, paid_at=datetime(2026, 12, 3, 21, 30, tzinfo=UTC)
    )
    second = await make_charged_case(db, tribunal)
    after, _c2 = await make_card_payment(
        db, tribunal, second, paid_at=datetime(2026, 12, 3, 22, 30, tzinfo=UTC)
    )
    await as_user(client, admin)
    third = text_of(await client.get(day_url(tribunal)))
    assert "From 2026-12-03 17:00 EST to 2026-12-04 17:00 EST." in third
    assert after.provider_payment_reference in third
    assert before.provider_payment_reference not in third
    assert "No difference" in third
    second_day = text_of(await client.get(day_url(tribunal, date(2026, 12, 2))))
    assert before.provider_payment_reference in second_day
    assert after.provider_payment_reference not in second_day

    # Vancouver, with no settings: midnight there, eight hours behind UTC in December.
    west, west_admin, west_case = await scene(db, time_zone="America/Vancouver")
    late, _c3 = await make_card_payment(
        db, west, west_case, paid_at=datetime(2026, 12, 4, 7, 30, tzinfo=UTC)
    )
    await as_user(client, west_admin)
    page = text_of(await client.get(day_url(west)))
    assert "From 2026-12-03 00:00 PST to 2026-12-04 00:00 PST." in page
    assert late.provider_payment_reference in page


def test_a_day_across_a_change_of_clock_is_as_long_as_the_clock_says(
    db: AsyncSession,
) -> None:
    tribunal = Tribunal(slug="x", time_zone="America/Toronto")
    autumn = services.window_of(tribunal, date(2026, 11, 1), time(0, 0))
    assert autumn.end - autumn.start == timedelta(hours=25)
    assert autumn.shown(autumn.start) == "2026-11-01 00:00 EDT"
    assert autumn.shown(autumn.end) == "2026-11-02 00:00 EST"
    # The clock goes forward at 02:00 on 8 March: the day from 06:30 on the 7th is short.
    spring = services.window_of(tribunal, date(2026, 3, 7), time(6, 30))
    assert spring.end - spring.start == timedelta(hours=23)
    assert services.window_of(tribunal, date(2026, 3, 8), time(6, 30)).start == spring.end
    moment = datetime(2026, 3, 8, 10, 29, tzinfo=UTC)  # 06:29 EDT on the 8th
    assert services.day_at(tribunal, time(6, 30), moment) == date(2026, 3, 7)
    assert services.day_at(tribunal, time(6, 30), moment + timedelta(minutes=1)) == date(2026, 3, 8)


async def test_the_csv_holds_every_row_and_difference_neutralised_and_is_audited(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, admin, case = await scene(db)
    payment, checkout = await make_card_payment(db, tribunal, case, paid_at=NOON)
    assert checkout is not None
    # A reference a spreadsheet would run as a formula, on both sides.
    checkout.payment_reference = payment.provider_payment_reference = '=HYPERLINK("http://x")'
    await db.commit()
    stray = await make_sandbox_payment(db, tribunal, amount_cents=4200, paid_at=NOON)
    other = await make_charged_case(db, tribunal, amount_cents=7500)
    await make_registry_payment(db, tribunal, other, paid_at=NOON)

    await as_user(client, admin)
    response = await client.get(day_url(tribunal, csv_file=True))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert (
        f'filename="reconciliation-{tribunal.slug}-2026-12-03.csv"'
        in response.headers["content-disposition"]
    )
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["Result", "Kind", "Method"]
    body = {row[6]: row for row in rows[1:] if row[6]}
    assert body['\'=HYPERLINK("http://x")'][:2] == ["Matches", "Payment"]
    assert body['\'=HYPERLINK("http://x")'][5] == case.filing.reference
    assert body['\'=HYPERLINK("http://x")'][7:10] == ["50.00", "50.00", "CAD"]
    assert body[stray.payment_reference][0] == "With the provider, not on the platform"
    assert body[stray.payment_reference][7:9] == ["", "42.00"]
    registry = [row for row in rows[1:] if not row[6]]
    assert [(row[2], row[5], row[7]) for row in registry] == [
        ("At the counter", other.filing.reference, "75.00")
    ]
    assert all(row[11:] == ["2026-12-03 00:00 EST", "2026-12-04 00:00 EST"] for row in rows[1:])
    assert len(rows) == 4
    exported = (
        await db.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.RECONCILIATION_EXPORTED)
        )
    ).one()
    assert exported.tribunal_id == tribunal.id
    assert exported.actor_id == admin.id
    assert exported.details["day"] == "2026-12-03"
    assert exported.details["differences"] == 1

    admin.language = "fr"
    await db.commit()
    await as_user(client, admin)
    french_rows = list(
        csv.reader(io.StringIO((await client.get(day_url(tribunal, csv_file=True))).text))
    )
    assert french_rows[0][0].lstrip("\ufeff") == french("Result")
    page = text_of(await client.get(day_url(tribunal)))
    assert french("Download this day as CSV") in page
    assert french("With the provider, not on the platform") in page


@contextmanager
def statements_of(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def row_of(html: str, day: date) -> list[str]:
    """The cells of a day's row in the list, as text."""
    row = re.search(
        rf'<tr class="govuk-table__row">\s*<th[^>]*><a[^>]*/{day}">.*?</tr>', html, re.S
    )
    assert row, day
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row.group(0), re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells][:4]


async def test_the_last_90_days_take_the_same_statements_whatever_their_payments(
    client: httpx.AsyncClient, db: AsyncSession, engine: AsyncEngine
) -> None:
    quiet, quiet_admin, quiet_case = await scene(db)
    busy, busy_admin, busy_case = await scene(db)
    now = utcnow()
    yesterday = now - timedelta(days=1)
    await make_card_payment(db, quiet, quiet_case, paid_at=yesterday)
    payment, checkout = await make_card_payment(db, busy, busy_case, paid_at=yesterday)
    assert checkout is not None
    await make_card_refund(db, busy, payment, checkout, amount_cents=1500, refunded_at=yesterday)
    for back in (1, 1, 5, 30, 89, 120):
        case = await make_charged_case(db, busy, amount_cents=1000 * back)
        await make_card_payment(db, busy, case, paid_at=now - timedelta(days=back))
        await make_registry_payment(db, busy, case, paid_at=now - timedelta(days=back))

    measured: dict[str, int] = {}
    pages: dict[str, str] = {}
    for tribunal, admin in ((quiet, quiet_admin), (busy, busy_admin)):
        await as_user(client, admin)
        url = f"/{tribunal.slug}/staff/reconciliation"
        await client.get(url)  # warm up what is cached per process
        with statements_of(engine) as seen:
            page = await client.get(url)
        assert page.status_code == 200
        assert not any("sandbox_" in statement for statement in seen)  # the provider is not asked
        measured[tribunal.slug] = len(seen)
        pages[tribunal.slug] = page.text
    assert measured[quiet.slug] == measured[busy.slug], measured

    cutoff = time(0, 0)
    html = pages[busy.slug]
    assert len(re.findall(r'/staff/reconciliation/[0-9-]{10}"', html)) == 90
    assert len(re.findall(r'/staff/reconciliation/[0-9-]{10}/csv"', html)) == 90
    day = services.day_at(busy, cutoff, yesterday)
    # Yesterday: three card payments (50, 10 and 10 dollars), two at the counter, a refund.
    assert row_of(html, day)[1:] == ["3 · $70.00", "2 · $20.00", "1 · $15.00"]
    assert row_of(html, services.day_at(busy, cutoff, now - timedelta(days=89)))[1:] == [
        "1 · $890.00",
        "1 · $890.00",
        "0",
    ]
    oldest = services.day_at(busy, cutoff, now) - timedelta(days=89)
    assert f"/{oldest}" in html
    assert f"/{oldest - timedelta(days=1)}" not in html
    assert row_of(pages[quiet.slug], day)[1:] == ["1 · $50.00", "0", "0"]


async def test_bad_days_other_tribunals_and_clerks_get_404(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal, admin, _case = await scene(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    elsewhere, other_admin, _other = await scene(db)
    await as_user(client, admin)
    for day in ("2026-13-01", "2026-02-30", "yesterday", "20261203", "0001-01-01", "9999-12-31"):
        assert (await client.get(day_url(tribunal, day))).status_code == 404, day
        assert (await client.get(day_url(tribunal, day, csv_file=True))).status_code == 404, day
    for person in (clerk, other_admin):
        await as_user(client, person)
        for url in (
            f"/{tribunal.slug}/staff/reconciliation",
            day_url(tribunal),
            day_url(tribunal, csv_file=True),
        ):
            assert (await client.get(url)).status_code == 404, url
    assert elsewhere.id != tribunal.id
    assert (
        await count(db, AuditEvent, AuditEvent.action == AuditAction.RECONCILIATION_EXPORTED) == 0
    )


class _Silent(SandboxProvider):
    async def transactions(self, account: str, start: datetime, end: datetime) -> list[Any]:
        raise ProviderUnavailableError("no answer")


async def test_a_provider_that_does_not_answer_gets_a_page_saying_so_and_no_export(
    client: httpx.AsyncClient, db: AsyncSession, app: Starlette
) -> None:
    tribunal, admin, case = await scene(db)
    await make_card_payment(db, tribunal, case, paid_at=NOON)
    app.state.payment_providers = lambda session: _Silent(session, secret="x", page_url="")
    await as_user(client, admin)
    for url in (day_url(tribunal), day_url(tribunal, csv_file=True)):
        response = await client.get(url)
        assert response.status_code == 503
        assert "The payment service did not answer" in text_of(response)
    assert (
        await count(db, AuditEvent, AuditEvent.action == AuditAction.RECONCILIATION_EXPORTED) == 0
    )
    # The list reads the platform's ledger alone.
    assert (await client.get(f"/{tribunal.slug}/staff/reconciliation")).status_code == 200


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_the_pages_read_in_each_language(
    client: httpx.AsyncClient, db: AsyncSession, language: str
) -> None:
    tribunal, admin, case = await scene(db)
    await make_card_payment(db, tribunal, case, paid_at=NOON)
    admin.language = language
    await db.commit()
    await as_user(client, admin)
    workspace = text_of(await client.get(f"/{tribunal.slug}/staff"))
    days = text_of(await client.get(f"/{tribunal.slug}/staff/reconciliation"))
    day = text_of(await client.get(day_url(tribunal)))
    expected = (lambda text: text) if language == "en" else french
    # The administrator finds it in the workspace, by name.
    assert expected("Daily reconciliation") in workspace
    assert expected("Daily reconciliation") in days
    assert expected("Every card payment and refund") in day
