"""The audit log page and its CSV export, and what parties may see of staff access."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings.models import Filing
from tests.factories import unique
from tests.factories.accounts import make_user
from tests.factories.filings import make_case
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import post_form, sign_in
from tribunals.models import Role, Tribunal
from tribune.audit import AuditEvent


def add_entry(
    db: AsyncSession,
    tribunal: Tribunal,
    action: str,
    at: datetime,
    *,
    actor: User | None = None,
    role: str | None = None,
    case: Filing | None = None,
) -> None:
    db.add(
        AuditEvent(
            tribunal_id=tribunal.id,
            action=action,
            occurred_at=at,
            actor_id=actor.id if actor else None,
            actor_role=role,
            subject_type="filing" if case else None,
            subject_id=case.id if case else None,
            case_id=case.id if case else None,
            details={},
        )
    )


def body_rows(html: str) -> list[str]:
    """Return the text of the result table's body rows."""
    tbody = html.split('<tbody class="govuk-table__body">', 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", tbody, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]


async def test_an_administrator_searches_by_case_person_action_and_dates(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    clerk = await make_staff(db, tribunal, Role.CLERK, name="Clara Clerk")
    first = await make_case(db, tribunal)
    second = await make_case(db, tribunal)
    day = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    add_entry(db, tribunal, "filing.viewed", day, actor=clerk, role="clerk", case=first)
    add_entry(
        db, tribunal, "document.downloaded", day + timedelta(days=10), actor=clerk, case=second
    )
    # 23:00 on 14 March in Toronto: before a period starting on the 15th there.
    add_entry(db, tribunal, "filing.submitted", datetime(2026, 3, 15, 3, 0, tzinfo=UTC), case=first)
    await db.commit()
    await sign_in(client, admin.email)
    url = f"/{tribunal.slug}/staff/audit"
    assert f'href="{url}"' in (await client.get(f"/{tribunal.slug}/staff")).text

    everything = await client.get(url)
    assert everything.status_code == 200
    rows = body_rows(everything.text)
    assert len(rows) == 3
    assert "Document downloaded" in rows[0]  # newest first
    assert "Clara Clerk" in rows[0]
    assert str(second.reference) in rows[0]

    by_case = body_rows((await client.get(url, params={"case": str(first.reference).lower()})).text)
    assert len(by_case) == 2
    assert all(str(first.reference) in row for row in by_case)

    by_person = body_rows((await client.get(url, params={"person": clerk.email.upper()})).text)
    assert len(by_person) == 2

    by_action = body_rows((await client.get(url, params={"action": "filing.viewed"})).text)
    assert by_action == [row for row in rows if "Case viewed" in row]
    by_prefix = body_rows((await client.get(url, params={"action": "filing."})).text)
    assert len(by_prefix) == 2

    period = {"from-day": "15", "from-month": "3", "from-year": "2026"}
    period_rows = body_rows((await client.get(url, params=period)).text)
    assert len(period_rows) == 1
    assert "Document downloaded" in period_rows[0]
    until = {"to-day": "14", "to-month": "3", "to-year": "2026"}
    assert len(body_rows((await client.get(url, params=until)).text)) == 2

    unknown = await client.get(
        url, params={"case": "NOPE-2026-000001", "to-day": "31", "to-month": "2", "to-year": "2026"}
    )
    assert unknown.status_code == 422
    assert "There is no case with this reference" in unknown.text
    assert "Enter a real date for the end of the period" in unknown.text


async def test_pages_follow_a_cursor_and_the_csv_has_the_same_rows(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    sneaky = await make_staff(db, tribunal, Role.CLERK, name='=HYPERLINK("http://x")')
    case = await make_case(db, tribunal)
    start = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    for n in range(55):
        add_entry(
            db,
            tribunal,
            "filing.viewed",
            start + timedelta(minutes=n),
            actor=sneaky,
            role="clerk",
            case=case,
        )
    # The same moment twice: the cursor's id keeps them apart.
    add_entry(db, tribunal, "document.downloaded", start, actor=sneaky, case=case)
    other = await make_tribunal(db)
    add_entry(db, other, "filing.viewed", start, actor=sneaky)
    await db.commit()
    await sign_in(client, admin.email)
    url = f"/{tribunal.slug}/staff/audit"

    page_one = await client.get(url, params={"person": sneaky.email})
    assert len(body_rows(page_one.text)) == 50
    next_link = re.search(r'href="([^"]+)" rel="next"', page_one.text)
    assert next_link
    page_two = await client.get(next_link.group(1).replace("&amp;", "&"))
    assert page_two.status_code == 200
    rows = body_rows(page_one.text) + body_rows(page_two.text)
    assert len(rows) == 56
    assert 'rel="next"' not in page_two.text
    assert "Newest entries" in page_two.text

    export = await client.get(f"/{tribunal.slug}/staff/audit.csv", params={"person": sneaky.email})
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert lines[0][:5] == ["Date and time", "Person", "Email address", "Role", "Action"]
    assert len(lines) == 57
    assert [line[4] for line in lines[1:]] == [
        "Document downloaded" if "Document downloaded" in row else "Case viewed" for row in rows
    ]
    assert all(line[1].startswith("'=") for line in lines[1:])
    exported = await db.execute(
        select(AuditEvent).where(
            AuditEvent.action == "audit.exported", AuditEvent.tribunal_id == tribunal.id
        )
    )
    assert exported.scalar_one().actor_id == admin.id

    await post_form(client, "/sign-out", {})
    french_admin = await make_staff(db, tribunal, Role.ADMIN, language="fr")
    await sign_in(client, french_admin.email)
    french = await client.get(f"/{tribunal.slug}/staff/audit.csv", params={"action": "document."})
    french_lines = list(csv.reader(io.StringIO(french.text.lstrip("\ufeff"))))
    assert french_lines[0][:2] == ["Date et heure", "Personne"]
    assert french_lines[1][4] == "Document téléchargé"


async def test_only_the_tribunals_administrators_see_the_audit_log(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    claimant = await make_user(db)
    await make_case(db, tribunal, filer=claimant)
    other = await make_tribunal(db)
    other_admin = await make_staff(db, other, Role.ADMIN)
    for person in (clerk, claimant, other_admin):
        await sign_in(client, person.email)
        assert (await client.get(f"/{tribunal.slug}/staff/audit")).status_code == 404
        assert (await client.get(f"/{tribunal.slug}/staff/audit.csv")).status_code == 404
        await post_form(client, "/sign-out", {})


async def test_parties_see_staff_roles_not_names_only_when_the_tribunal_allows(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN, name="Ada Admin")
    clerk = await make_staff(db, tribunal, Role.CLERK, name="Clara Clerk")
    claimant = await make_user(db, name="Jane Claimant")
    case = await make_case(db, tribunal, filer=claimant)
    stranger = await make_user(db)
    add_entry(
        db,
        tribunal,
        "filing.viewed",
        datetime(2026, 4, 2, 15, 0, tzinfo=UTC),
        actor=clerk,
        role="clerk",
        case=case,
    )
    add_entry(
        db,
        tribunal,
        "filing.viewed",
        datetime(2026, 4, 3, 15, 0, tzinfo=UTC),
        actor=claimant,
        role="claimant",
        case=case,
    )
    await db.commit()
    access = f"/{tribunal.slug}/cases/{case.id}/access"

    await sign_in(client, claimant.email)
    assert (await client.get(access)).status_code == 404  # turned off
    await post_form(client, "/sign-out", {})

    await sign_in(client, admin.email)
    audit_page = f"/{tribunal.slug}/staff/audit"
    turned_on = await post_form(
        client, f"{audit_page}/settings", {"show_access_to_parties": "yes"}, page=audit_page
    )
    assert turned_on.status_code == 303
    await db.refresh(tribunal)
    assert tribunal.show_access_to_parties is True
    await post_form(client, "/sign-out", {})

    await sign_in(client, claimant.email)
    page = await client.get(access)
    assert page.status_code == 200
    rows = body_rows(page.text)
    assert len(rows) == 1
    assert "Clerk" in rows[0]
    assert "Clara" not in page.text
    assert "Jane Claimant" not in rows[0]
    await post_form(client, "/sign-out", {})

    await sign_in(client, stranger.email)
    assert (await client.get(access)).status_code == 404
    await post_form(client, "/sign-out", {})

    await sign_in(client, admin.email)
    await post_form(client, f"{audit_page}/settings", {}, page=audit_page)
    await db.refresh(tribunal)
    assert tribunal.show_access_to_parties is False
    changes = await db.execute(
        select(AuditEvent).where(AuditEvent.action == "tribunal.access_visibility_changed")
    )
    assert len(changes.scalars().all()) == 2


@pytest.mark.parametrize(
    "period",
    [
        {"to-day": "31", "to-month": "12", "to-year": "9999"},
        {"from-day": "1", "from-month": "1", "from-year": "1"},
    ],
)
async def test_dates_at_the_ends_of_the_calendar_are_refused_not_a_500(
    client: httpx.AsyncClient, db: AsyncSession, period: dict[str, str]
) -> None:
    # The last day plus one overflows: such a date is refused with the usual message, on the
    # page and before the export sends its first byte.
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    await sign_in(client, admin.email)
    url = f"/{tribunal.slug}/staff/audit"
    page = await client.get(url, params=period)
    assert page.status_code == 422
    assert "Enter a real date for the" in page.text
    export = await client.get(f"{url}.csv", params=period)
    assert export.status_code == 422
    assert "Enter a real date for the" in export.text


async def test_a_person_search_tells_nothing_about_accounts_outside_this_tribunals_log(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    elsewhere = await make_staff(db, await make_tribunal(db), Role.CLERK)
    await sign_in(client, admin.email)
    url = f"/{tribunal.slug}/staff/audit"

    async def answer(email: str) -> tuple[int, list[str]]:
        page = await client.get(url, params={"person": email})
        return page.status_code, re.findall(r'class="govuk-error-message">(.*?)</', page.text, re.S)

    # An address with no account at all, and another tribunal's clerk with no entry here.
    assert await answer(f"{unique('nobody-')}@example.org") == await answer(elsewhere.email)


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
async def test_a_cursor_at_the_ends_of_the_calendar_is_ignored_not_a_500(
    client: httpx.AsyncClient, db: AsyncSession, moment: str
) -> None:
    # A forged cursor whose moment, moved to UTC, falls off the calendar: the first page.
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    add_entry(db, tribunal, "filing.viewed", datetime(2026, 5, 1, 12, 0, tzinfo=UTC), actor=admin)
    await db.commit()
    await sign_in(client, admin.email)
    cursor = f"{moment}_{uuid.uuid4().hex}"
    page = await client.get(f"/{tribunal.slug}/staff/audit", params={"after": cursor})
    assert page.status_code == 200
    assert len(body_rows(page.text)) == 1
    assert "Newest entries" not in page.text  # the link back to the first page


@pytest.mark.parametrize(
    "period",
    [
        {"from-day": "1" + "0" * 30, "from-month": "1", "from-year": "2026"},
        {"to-day": "1", "to-month": "-" + "9" * 40, "to-year": "2026"},
        {"to-day": "1", "to-month": "1", "to-year": "9" * 20},
    ],
)
async def test_numbers_too_large_for_a_date_are_refused_not_a_500(
    client: httpx.AsyncClient, db: AsyncSession, period: dict[str, str]
) -> None:
    tribunal = await make_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    await sign_in(client, admin.email)
    url = f"/{tribunal.slug}/staff/audit"
    page = await client.get(url, params=period)
    assert page.status_code == 422
    assert "Enter a real date for the" in page.text
    export = await client.get(f"{url}.csv", params=period)
    assert export.status_code == 422
