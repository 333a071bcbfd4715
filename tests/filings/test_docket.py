"""The clerk's docket: filters, search, keyset pages, counts, htmx, CSV export, query count."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from accounts.models import User
from filings.deadlines import today_in
from filings.docket import queries as docket
from filings.models import DueFrom, FilingStatus
from tests.factories.filings import make_case, make_case_type
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import sign_in
from tribunals.models import Role, Tribunal
from tribune.audit import AuditEvent

ROW = re.compile(r'/staff/cases/([0-9a-f-]{36})">([^<]+)</a>')


def references(html: str) -> list[str]:
    return [reference for _id, reference in ROW.findall(html)]


def next_link(html: str) -> str | None:
    match = re.search(r'href="([^"]+)" rel="next"', html)
    return match.group(1).replace("&amp;", "&") if match else None


async def clerk_of(client: httpx.AsyncClient, db: AsyncSession, tribunal: Tribunal) -> Any:
    clerk = await make_staff(db, tribunal, Role.CLERK)
    await sign_in(client, clerk.email)
    return clerk


def at(days_ago: int) -> datetime:
    return datetime(2026, 6, 15, 15, 0, tzinfo=UTC) - timedelta(days=days_ago)


async def test_the_docket_lists_the_tribunals_cases_only(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    other = await make_tribunal(db)
    version = await make_case_type(db, tribunal, title_en="Benefits appeal")
    judge = await make_staff(db, tribunal, Role.ADJUDICATOR, name="Judge Dredd")
    case = await make_case(db, tribunal, version=version, name="Alice Martin", submitted_at=at(2))
    case.assigned_adjudicator_id = judge.id
    case.due_on = date(2026, 7, 1)
    case.due_from = DueFrom.RESPONDENT
    await db.commit()
    outsider = await make_case(db, other, name="Oscar Outsider")
    draft = await make_case(db, tribunal, version=version, name="Dora Draft")
    draft.status = FilingStatus.DRAFT
    await db.commit()
    await clerk_of(client, db, tribunal)

    page = await client.get(f"/{tribunal.slug}/staff/docket")
    assert page.status_code == 200
    assert references(page.text) == [case.reference]
    assert f'/{tribunal.slug}/staff/cases/{case.id}"' in page.text
    for text in ("Alice Martin", "Benefits appeal", "Submitted", "Judge Dredd", "Respondent"):
        assert text in page.text
    assert "Oscar Outsider" not in page.text
    assert outsider.reference
    assert outsider.reference not in page.text
    assert "Dora Draft" not in page.text
    workspace = await client.get(f"/{tribunal.slug}/staff")
    assert "Open the docket" in workspace.text


async def test_the_docket_is_in_french_for_a_french_clerk(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    version = await make_case_type(db, tribunal, title_fr="Appel de prestations")
    await make_case(db, tribunal, version=version, name="Alice Martin")
    clerk = await make_staff(db, tribunal, Role.CLERK, language="fr")
    await sign_in(client, clerk.email)
    page = await client.get(f"/{tribunal.slug}/staff/docket")
    assert page.status_code == 200
    assert "Appel de prestations" in page.text
    assert "Référence" in page.text


async def test_outsiders_do_not_see_the_docket(client: httpx.AsyncClient, db: AsyncSession) -> None:
    tribunal = await make_tribunal(db)
    other = await make_tribunal(db)
    case = await make_case(db, tribunal)
    for path in ("/staff/docket", "/staff/docket.csv"):
        anonymous = await client.get(f"/{tribunal.slug}{path}")
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/sign-in")
    filer = await db.get(User, case.filer_id)
    assert filer is not None
    await sign_in(client, filer.email)
    assert (await client.get(f"/{tribunal.slug}/cases/{case.id}")).status_code == 200
    for path in ("/staff/docket", "/staff/docket.csv"):
        assert (await client.get(f"/{tribunal.slug}{path}")).status_code == 404
    stranger = await make_staff(db, other, Role.CLERK)
    await sign_in(client, stranger.email)
    for path in ("/staff/docket", "/staff/docket.csv"):
        assert (await client.get(f"/{tribunal.slug}{path}")).status_code == 404
    own = await client.get(f"/{other.slug}/staff/docket")
    assert own.status_code == 200
    assert case.reference
    assert case.reference not in own.text


async def test_each_filter_narrows_the_docket(client: httpx.AsyncClient, db: AsyncSession) -> None:
    tribunal = await make_tribunal(db)
    benefits = await make_case_type(db, tribunal, title_en="Benefits appeal")
    licences = await make_case_type(db, tribunal, title_en="Licence appeal")
    judge = await make_staff(db, tribunal, Role.ADJUDICATOR, name="Judge Dredd")
    today = today_in(tribunal)
    old = await make_case(db, tribunal, version=benefits, submitted_at=at(40))
    accepted = await make_case(
        db, tribunal, version=licences, status=FilingStatus.ACCEPTED, submitted_at=at(20)
    )
    french = await make_case(db, tribunal, version=benefits, language="fr", submitted_at=at(10))
    accepted.assigned_adjudicator_id = judge.id
    accepted.due_on = today - timedelta(days=1)
    french.due_on = today + timedelta(days=3)
    await db.commit()
    await clerk_of(client, db, tribunal)
    base = f"/{tribunal.slug}/staff/docket"

    async def found(query: str) -> set[str]:
        response = await client.get(f"{base}?{query}")
        assert response.status_code == 200, response.text
        return set(references(response.text))

    everything = {old.reference, accepted.reference, french.reference}
    assert await found("") == everything
    assert await found("status=accepted") == {accepted.reference}
    assert await found("status=accepted&status=submitted") == everything
    assert await found(f"case_type={licences.case_type_id.hex}") == {accepted.reference}
    received = (at(20) - timedelta(days=1)).date().isoformat()
    assert await found(f"received_from={received}") == {accepted.reference, french.reference}
    assert await found(f"received_to={received}") == {old.reference}
    assert await found(f"adjudicator={judge.id.hex}") == {accepted.reference}
    assert await found("overdue=yes") == {accepted.reference}
    assert await found("language=fr") == {french.reference}
    assert await found("language=en&status=submitted") == {old.reference}
    # A fee neither paid nor waived: the docket tags the case and can show only those.
    old.awaiting_payment = True
    await db.commit()
    assert await found("awaiting_payment=yes") == {old.reference}
    assert "Awaiting payment" in (await client.get(base)).text


async def test_wrong_filters_and_cursors_never_break_the_page(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    case = await make_case(db, tribunal)
    await clerk_of(client, db, tribunal)
    base = f"/{tribunal.slug}/staff/docket"
    for cursor in ("nonsense", "%%%", "eyJ4Ijo", "WyJyZWNlaXZlZCIsMSwiYWJjIl0", "a" * 500):
        page = await client.get(base, params={"after": cursor})
        assert page.status_code == 200
        assert case.reference
        assert case.reference in page.text
    for query in (
        {"status": "draft"},
        {"status": "nope"},
        {"case_type": "not-a-case-type"},
        {"received_from": "31/02/2026"},
        {"received_to": "2026-02-31"},
        {"adjudicator": "00000000000000000000000000000000"},
        {"language": "de"},
        {"overdue": "maybe"},
        {"awaiting_payment": "maybe"},
        {"sort": "random"},
        {"per_page": "lots"},
    ):
        page = await client.get(base, params=query)
        assert page.status_code in (200, 422), query
        if page.status_code == 422:
            assert "There is a problem" in page.text
    page = await client.get(base, params={"received_from": "2026-13-01"})
    assert page.status_code == 422
    assert "Enter a real date" in page.text
    assert 'value="2026-13-01"' in page.text
    export = await client.get(f"{base}.csv", params={"language": "de"})
    assert export.status_code == 422


@pytest.mark.parametrize(
    ("query", "who"),
    [
        ("Alice", "alice"),
        ("martin", "alice"),
        ("alice martin", "alice"),
        ("Ravi", "bob"),
        ("Shankar", "bob"),
        ("Stone", "bob"),
        ("mart", "alice"),  # the start of a word
        ("ali mar", "alice"),
        ("shan", "bob"),
        ("artin", None),  # not the middle of one
        ("Nobody", None),
    ],
)
async def test_search_finds_parties_and_representatives(
    client: httpx.AsyncClient, db: AsyncSession, query: str, who: str | None
) -> None:
    tribunal = await make_tribunal(db)
    version = await make_case_type(db, tribunal)
    alice = await make_case(db, tribunal, version=version, name="Alice Martin")
    bob = await make_case(
        db, tribunal, version=version, name="Bob Stone", representative="Ravi Shankar"
    )
    await clerk_of(client, db, tribunal)
    page = await client.get(f"/{tribunal.slug}/staff/docket", params={"q": query})
    expected = {"alice": [alice.reference], "bob": [bob.reference], None: []}[who]
    assert references(page.text) == expected


async def test_search_finds_a_reference_and_escapes_wildcards(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    version = await make_case_type(db, tribunal)
    first = await make_case(db, tribunal, version=version, name="Alice Martin")
    second = await make_case(db, tribunal, version=version, name="Bob Stone")
    await clerk_of(client, db, tribunal)
    base = f"/{tribunal.slug}/staff/docket"
    page = await client.get(base, params={"q": second.reference})
    assert references(page.text) == [second.reference]
    assert first.reference
    page = await client.get(base, params={"q": first.reference.lower()})
    assert references(page.text) == [first.reference]
    for wildcard in ("%", "_", "a%e", "'"):
        page = await client.get(base, params={"q": wildcard})
        assert page.status_code == 200
        assert references(page.text) == []


@pytest.mark.parametrize("sort", ["received", "due"])
async def test_search_pages_give_every_match_in_order_common_or_rare(
    client: httpx.AsyncClient,
    db: AsyncSession,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
    sort: str,
) -> None:
    # On PostgreSQL a search looks among the newest SEARCH_WINDOW cases first, then by its
    # words; a small window makes both ways run here. Every match comes once, in order.
    monkeypatch.setattr(docket, "SEARCH_WINDOW", 20)
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    tribunal = await make_tribunal(db)
    version = await make_case_type(db, tribunal)
    cases = []
    for number in range(26):
        # Tremblay is common among the newest cases; Okafor is rare, and only old.
        name = "Marie Tremblay" if number % 3 else "Sam Lee"
        if number == 25:
            name = "Ada Okafor"
        case = await make_case(
            db, tribunal, version=version, name=name, submitted_at=at(number // 2)
        )
        case.due_on = None if number % 4 == 0 else date(2026, 7, 1) + timedelta(days=number % 5)
        cases.append(case)
    await db.commit()
    if sort == "received":
        ordered = sorted(cases, key=lambda case: (case.submitted_at, case.id), reverse=True)
    else:
        ordered = sorted(
            cases, key=lambda case: (case.due_on is None, case.due_on or date.min, case.id)
        )
    await clerk_of(client, db, tribunal)
    for query, name in (("tremblay", "Marie Tremblay"), ("okaf", "Ada Okafor")):
        url: str | None = f"/{tribunal.slug}/staff/docket?q={query}&sort={sort}&per_page=10"
        seen: list[str] = []
        first = True
        while url:
            event.listen(engine.sync_engine, "before_cursor_execute", record)
            try:
                statements.clear()
                page = await client.get(url)
            finally:
                event.remove(engine.sync_engine, "before_cursor_execute", record)
            assert page.status_code == 200
            if first and engine.dialect.name == "postgresql":
                # The common name fills its first page from the newest cases; the rare one
                # is looked up by its words (and so is any search sorted by due date).
                by_words = any("MATERIALIZED" in statement for statement in statements)
                assert by_words is (query == "okaf" or sort == "due")
            first = False
            seen += references(page.text)
            url = next_link(page.text)
        names = {case.reference: case.answers["about_you"]["full_name"] for case in cases}
        expected = [case.reference for case in ordered if names[case.reference] == name]
        assert seen == expected
    # A whole reference finds its case, whatever the words of the others.
    assert cases[7].reference
    page = await client.get(
        f"/{tribunal.slug}/staff/docket", params={"q": f" {cases[7].reference.lower()} "}
    )
    assert references(page.text) == [cases[7].reference]


@pytest.mark.parametrize("sort", ["received", "due"])
async def test_keyset_pages_give_each_case_once_in_order(
    client: httpx.AsyncClient, db: AsyncSession, sort: str
) -> None:
    tribunal = await make_tribunal(db)
    version = await make_case_type(db, tribunal)
    cases = []
    for number in range(23):
        # Several cases share a received time and a due date: the id breaks ties.
        case = await make_case(db, tribunal, version=version, submitted_at=at(number // 3))
        case.due_on = None if number % 4 == 0 else date(2026, 7, 1) + timedelta(days=number % 5)
        cases.append(case)
    await db.commit()
    if sort == "received":
        expected = sorted(cases, key=lambda case: (case.submitted_at, case.id), reverse=True)
    else:
        expected = sorted(
            cases, key=lambda case: (case.due_on is None, case.due_on or date.min, case.id)
        )
    await clerk_of(client, db, tribunal)
    url: str | None = f"/{tribunal.slug}/staff/docket?sort={sort}&per_page=10"
    seen: list[str] = []
    pages = 0
    while url:
        page = await client.get(url)
        assert page.status_code == 200
        seen += references(page.text)
        url = next_link(page.text)
        pages += 1
        if pages > 1:
            assert "First page" in page.text
    assert pages == 3
    assert len(seen) == len(set(seen)) == 23
    if sort == "received":
        assert seen == [case.reference for case in expected]
    else:
        # SQLite and PostgreSQL order UUIDs the same way (by their bytes).
        assert seen == [case.reference for case in expected]


async def test_counts_per_status_follow_the_other_filters(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    version = await make_case_type(db, tribunal)
    for status, language in [
        (FilingStatus.SUBMITTED, "en"),
        (FilingStatus.SUBMITTED, "en"),
        (FilingStatus.SUBMITTED, "fr"),
        (FilingStatus.ACCEPTED, "en"),
        (FilingStatus.CLOSED, "fr"),
    ]:
        await make_case(db, tribunal, version=version, status=status, language=language)
    await clerk_of(client, db, tribunal)
    base = f"/{tribunal.slug}/staff/docket"

    def counts(html: str) -> dict[str, str]:
        return dict(re.findall(r"<li>([^<:]+): <strong>(\d+)</strong></li>", html))

    page = await client.get(base, params={"status": "accepted"})
    assert counts(page.text)["Submitted"] == "3"
    assert counts(page.text)["Accepted"] == "1"
    assert counts(page.text)["Closed"] == "1"
    assert "1 case" in page.text
    page = await client.get(base, params={"language": "en"})
    assert counts(page.text)["Submitted"] == "2"
    assert counts(page.text)["Closed"] == "0"
    assert "3 cases" in page.text


async def test_counts_stop_at_the_cap_and_say_more_than(
    client: httpx.AsyncClient, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Counting stops at a cap so that a big tribunal's docket stays fast; the page says so.
    monkeypatch.setattr(docket, "COUNT_CAP", 2)
    tribunal = await make_tribunal(db)
    version = await make_case_type(db, tribunal)
    for status in [FilingStatus.SUBMITTED] * 3 + [FilingStatus.ACCEPTED] * 2:
        await make_case(db, tribunal, version=version, status=status, name="Jane Doe")
    clerk = await clerk_of(client, db, tribunal)
    base = f"/{tribunal.slug}/staff/docket"

    page = await client.get(base)
    assert "<li>Submitted: <strong>more than 2</strong></li>" in page.text
    assert "<li>Accepted: <strong>2</strong></li>" in page.text
    assert "More than 4 cases" in page.text
    page = await client.get(base, params={"status": "accepted"})
    assert "2 cases" in page.text
    assert "More than" not in page.text
    # Every case is still listed: only the counting stops.
    page = await client.get(base, params={"status": "submitted"})
    assert page.text.count(f"/{tribunal.slug}/staff/cases/") == 3
    # A filter the index cannot serve reads at most cap + 1 cases: past that, no breakdown.
    page = await client.get(base, params={"language": "en"})
    assert "More than 2 cases" in page.text
    assert "<li>Submitted:" not in page.text
    assert "Narrow the filters to see how many cases there are of each status." in page.text
    # A search is not counted; its cases are listed.
    page = await client.get(base, params={"q": "doe"})
    assert "Cases found by a search are not counted by status." in page.text
    assert "<li>Submitted:" not in page.text
    assert "5 cases" in page.text
    assert page.text.count(f"/{tribunal.slug}/staff/cases/") == 5
    clerk.language = "fr"
    db.add(clerk)
    await db.commit()
    page = await client.get(base)
    assert "Plus de 4 dossiers" in page.text
    assert "plus de 2" in page.text


async def test_htmx_gets_only_the_results(client: httpx.AsyncClient, db: AsyncSession) -> None:
    tribunal = await make_tribunal(db)
    case = await make_case(db, tribunal, name="Alice Martin")
    await clerk_of(client, db, tribunal)
    base = f"/{tribunal.slug}/staff/docket"
    full = await client.get(base)
    assert "<html" in full.text
    assert 'data-hx-get="' in full.text
    assert 'data-hx-push-url="true"' in full.text
    partial = await client.get(base, params={"q": "alice"}, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<html" not in partial.text
    assert "<form" not in partial.text
    assert references(partial.text) == [case.reference]
    wrong = await client.get(base, params={"received_from": "soon"}, headers={"HX-Request": "true"})
    assert wrong.status_code == 200
    assert "There is a problem" in wrong.text


async def test_the_csv_export_matches_the_page(client: httpx.AsyncClient, db: AsyncSession) -> None:
    tribunal = await make_tribunal(db)
    version = await make_case_type(db, tribunal)
    for number in range(12):
        await make_case(
            db,
            tribunal,
            version=version,
            name="=HYPERLINK(evil)" if number == 0 else f"Person {number}",
            status=FilingStatus.ACCEPTED if number % 3 else FilingStatus.SUBMITTED,
            submitted_at=at(number),
        )
    clerk = await clerk_of(client, db, tribunal)
    base = f"/{tribunal.slug}/staff/docket"
    page = await client.get(base, params={"status": "accepted", "per_page": "200"})
    export = await client.get(f"{base}.csv", params={"status": "accepted"})
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert export.headers["content-disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert rows[0][0] == "Reference"
    assert [row[0] for row in rows[1:]] == references(page.text)
    assert len(rows) == 1 + 8
    everything = await client.get(f"{base}.csv")
    names = [row[1] for row in csv.reader(io.StringIO(everything.text.lstrip("\ufeff")))]
    assert "'=HYPERLINK(evil)" in names
    exports = (
        await db.execute(
            select(AuditEvent).where(
                AuditEvent.action == "docket.exported", AuditEvent.tribunal_id == tribunal.id
            )
        )
    ).scalars()
    assert [entry.actor_id for entry in exports] == [clerk.id, clerk.id]
    clerk.language = "fr"
    db.add(clerk)
    await db.commit()
    french = await client.get(f"{base}.csv")
    assert french.text.lstrip("\ufeff").startswith("Référence")


async def test_a_page_costs_the_same_statements_for_3_or_40_cases(
    client: httpx.AsyncClient, db: AsyncSession, engine: AsyncEngine
) -> None:
    small = await make_tribunal(db)
    large = await make_tribunal(db)
    for tribunal, count in ((small, 3), (large, 40)):
        version = await make_case_type(db, tribunal)
        judge = await make_staff(db, tribunal, Role.ADJUDICATOR)
        for number in range(count):
            case = await make_case(
                db, tribunal, version=version, representative="Ravi Shankar" if number % 2 else None
            )
            case.assigned_adjudicator_id = judge.id
        await db.commit()
    statements: list[str] = []

    def record_statement(*args: Any) -> None:
        statements.append(str(args[2]))

    measured: dict[str, int] = {}
    for tribunal in (small, large):
        await clerk_of(client, db, tribunal)
        url = f"/{tribunal.slug}/staff/docket?per_page=200"
        await client.get(url)  # warm up whatever is cached per process
        event.listen(engine.sync_engine, "before_cursor_execute", record_statement)
        try:
            statements.clear()
            page = await client.get(url)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", record_statement)
        assert page.status_code == 200
        # The test's savepoints aside: the tribunal, the session, its account and the clerk's
        # roles; the rows; the counts. The filter choices are kept between requests.
        measured[tribunal.slug] = len(
            [text for text in statements if not text.startswith(("SAVEPOINT", "RELEASE"))]
        )
        assert len(references(page.text)) == (3 if tribunal is small else 40)
    assert measured[small.slug] == measured[large.slug] == 3, measured


@pytest.mark.parametrize(
    "query",
    [
        {"received_to": "9999-12-31"},
        {"received_from": "0001-01-01"},
        {"received_from": "0001-01-01", "received_to": "9999-12-31"},
    ],
)
async def test_dates_at_the_ends_of_the_calendar_are_refused_not_a_500(
    client: httpx.AsyncClient, db: AsyncSession, query: dict[str, str]
) -> None:
    # The last day plus one overflows: such a date is refused with the usual message, on the
    # page and before the export sends its first byte.
    tribunal = await make_tribunal(db)
    await make_case(db, tribunal)
    await clerk_of(client, db, tribunal)
    base = f"/{tribunal.slug}/staff/docket"
    page = await client.get(base, params=query)
    assert page.status_code == 422
    assert "Enter a real date" in page.text
    export = await client.get(f"{base}.csv", params=query)
    assert export.status_code == 422
    assert "Enter a real date" in export.text


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
async def test_a_cursor_at_the_ends_of_the_calendar_is_ignored_not_a_500(
    client: httpx.AsyncClient, db: AsyncSession, moment: str
) -> None:
    # A forged cursor whose moment, moved to UTC, falls off the calendar: the first page.
    tribunal = await make_tribunal(db)
    case = await make_case(db, tribunal)
    await clerk_of(client, db, tribunal)
    raw = json.dumps(["received", moment, case.id.hex])
    cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    page = await client.get(f"/{tribunal.slug}/staff/docket", params={"after": cursor})
    assert page.status_code == 200
    assert references(page.text) == [case.reference]
