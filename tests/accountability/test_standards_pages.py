"""The staff's pages of the service standards: every member of staff sees each standard's
figures (the quarters published, the current one so far) and the cases that missed or are
about to miss it, linked to their pages; the administrators define standards and their
versions, publish each ended quarter once, correct it with a note and recompute it; every bad
input is refused with its message, in English and French, and nothing is stored; another
tribunal's staff and the staff without the permission get a 404."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from accountability.standards import snapshots
from accountability.standards.models import (
    ClockUnit,
    PublishedFigures,
    ServiceStandard,
    StandardVersion,
)
from accountability.standards.periods import Quarter
from filings.deadlines import today_in
from filings.models import CaseEvent
from tests.accountability.factories import (
    make_standard,
    make_standards_tribunal,
    make_timeline_case,
)
from tests.factories.tribunals import make_staff
from tests.helpers import as_user, count, csrf_token, french, post_form, text_of
from tribunals.models import Role, Tribunal
from tribune.audit import AuditAction, AuditEvent
from tribune.db import Database, utcnow

FRENCH = {"Accept-Language": "fr"}


def key(quarter: Quarter) -> str:
    return f"{quarter.fiscal_year}-q{quarter.number}"


def quarters(tribunal: Tribunal) -> tuple[Quarter, Quarter, Quarter]:
    """The current quarter, the one before it and the one before that."""
    current = Quarter.containing(today_in(tribunal))
    return current, current.previous(), current.previous().previous()


async def standard_in_force(
    db: AsyncSession, tribunal: Tribunal, code: str = "acknowledge", **overrides: Any
) -> ServiceStandard:
    """Submitted → accepted within 10 calendar days, 80 %, in force two quarters back."""
    _current, _previous, earlier = quarters(tribunal)
    made = await make_standard(
        db,
        tribunal,
        code=code,
        limit_days=10,
        unit=ClockUnit.CALENDAR_DAYS,
        effective_from=earlier.first_day,
        **overrides,
    )
    return made.standard


def definition(**overrides: str) -> dict[str, str]:
    """The fields of the definition form, as an administrator fills them in."""
    fields = {
        "code": "hearing-within-90",
        "name_en": "Hold the hearing within 90 days",
        "name_fr": "Tenir l’audience dans les 90 jours",
        "description_en": "From acceptance to the hearing.",
        "description_fr": "De l’acceptation à l’audience.",
        "start_event": "accepted",
        "stop_event": "heard",
        "pause_event": "party_adjournment",
        "resume_event": "scheduled",
        "case_type_code": "",
        "limit_days": "90",
        "unit": "calendar_days",
        "target_percent": "80",
        "effective_from-day": "1",
        "effective_from-month": "4",
        "effective_from-year": "2027",
        "note": "",
    }
    fields.update(overrides)
    return fields


async def post(
    client: httpx.AsyncClient,
    url: str,
    data: dict[str, str],
    *,
    page: str,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Post a form as a browser does, with the token of its page, in a language."""
    token = await csrf_token(client, page)
    return await client.post(url, data={**data, "csrf_token": token}, headers=headers or {})


def words_of(response: httpx.Response) -> str:
    """A page's text without its tags, its spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text_of(response)).split())


def error_summary(html: str) -> list[tuple[str, str]]:
    """The error summary's links: (field id, message)."""
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.DOTALL)
    assert summary, "no error summary"
    return re.findall(r'<li><a href="#([\w-]+)">(.*?)</a></li>', summary.group(0))


# -- the staff's figures ----------------------------------------------------------------------


async def test_staff_see_the_figures_and_the_cases_at_risk_linked_to_their_pages(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_standards_tribunal(db)
    standard = await standard_in_force(db, tribunal)
    current, previous, _earlier = quarters(tribunal)
    start = previous.starts_at(tribunal.time_zone) + timedelta(days=1, hours=12)
    # The previous quarter: one case met (2 days), one missed (29 days); published.
    await make_timeline_case(db, tribunal, start, [("accepted", start + timedelta(days=2))])
    await make_timeline_case(db, tribunal, start, [("accepted", start + timedelta(days=29))])
    await snapshots.publish_quarter(db, tribunal, previous, user=None)
    await db.commit()
    now = utcnow()
    late = await make_timeline_case(db, tribunal, now - timedelta(days=15))
    close = await make_timeline_case(db, tribunal, now - timedelta(days=7))
    fresh = await make_timeline_case(db, tribunal, now - timedelta(minutes=5))
    adjudicator = await make_staff(db, tribunal, Role.ADJUDICATOR)
    await as_user(client, adjudicator)

    workspace = await client.get(f"/{tribunal.slug}/staff")
    page_url = f"/{tribunal.slug}/staff/service-standards"
    assert f'href="{page_url}"' in workspace.text
    page = await client.get(page_url)
    assert page.status_code == 200
    text = words_of(page)
    assert "Acknowledge a filing" in text
    assert "80 % of cases within 10 days (calendar days)" in text
    # The published quarter with its exact counts (staff see counts under 10), and the current
    # quarter so far.
    assert previous.label in text
    assert f"{current.label} (so far)" in text
    assert re.search(r"50 ?%", text)
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="tribune-chart" role="img"' in page.text
    # The cases at risk: past the limit and within five days of it, each linked to its page.
    for case in (late, close):
        assert f'href="/{tribunal.slug}/staff/cases/{case.id}"' in page.text
        assert str(case.reference) in text
    assert str(fresh.reference) not in text
    assert "Missed by 5 days" in text
    assert "3 days left" in text
    assert late.reference is not None
    assert close.reference is not None
    assert text.index(late.reference) < text.index(close.reference)
    assert f'href="/{tribunal.slug}/staff/docket?at_risk=yes"' in page.text
    # Only administrators are offered the forms.
    assert "Manage service standards" not in text
    assert (await client.get(f"/{tribunal.slug}/staff/service-standards/manage")).status_code == 404

    # A member of staff who reads French sees it in French.
    await as_user(client, await make_staff(db, tribunal, Role.CLERK, language="fr"))
    french_page = await client.get(page_url)
    assert french_page.status_code == 200
    french_text = text_of(french_page)
    assert french("Cases at risk") in french_text
    assert "Accuser réception d’un dossier" in french_text
    assert standard.code  # the standard is listed by its name, never by a code alone


async def test_the_cases_at_risk_go_by_pages_and_cost_the_same_queries_whatever_their_number(
    client: httpx.AsyncClient, db: AsyncSession, database: Database
) -> None:
    tribunal = await make_standards_tribunal(db)
    standard = await standard_in_force(db, tribunal)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    await as_user(client, clerk)
    page_url = f"/{tribunal.slug}/staff/service-standards"
    now = utcnow()

    statements: list[str] = []

    def counted(*_args: Any) -> None:
        statements.append("x")

    engine = database.engine.sync_engine
    await make_timeline_case(db, tribunal, now - timedelta(days=30))
    event.listen(engine, "before_cursor_execute", counted)
    try:
        assert (await client.get(page_url)).status_code == 200
        few = len(statements)
        for days in range(12, 12 + 24):
            await make_timeline_case(db, tribunal, now - timedelta(days=days, hours=1))
        statements.clear()
        many = await client.get(page_url)
        assert len(statements) == few
    finally:
        event.remove(engine, "before_cursor_execute", counted)

    # 25 at risk: 20 on the first page, a "Next page" to the 5 others, most overdue first.
    references = re.findall(r"staff/cases/([0-9a-f-]{36})", many.text)
    assert len(references) == 20
    next_link = re.search(r'href="([^"]+/at-risk\?after=[^"]+)"', many.text)
    assert next_link, "no next page"
    second = await client.get(next_link.group(1).replace("&amp;", "&"))
    assert second.status_code == 200
    rest = re.findall(r"staff/cases/([0-9a-f-]{36})", second.text)
    assert len(rest) == 5
    assert not set(rest) & set(references)
    assert "Next page" not in second.text
    # A cursor that names nothing is the first page.
    first = await client.get(
        f"/{tribunal.slug}/staff/service-standards/{standard.id}/at-risk?after=x"
    )
    assert first.status_code == 200
    assert len(re.findall(r"staff/cases/([0-9a-f-]{36})", first.text)) == 20


async def test_another_tribunals_staff_and_ids_are_a_404(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_standards_tribunal(db)
    other = await make_standards_tribunal(db)
    standard = await standard_in_force(db, tribunal)
    _current, previous, _earlier = quarters(tribunal)
    t = f"/{tribunal.slug}/staff/service-standards"
    await as_user(client, await make_staff(db, other, Role.ADMIN))
    for url in (
        t,
        f"{t}/{standard.id}/at-risk",
        f"{t}/manage",
        f"{t}/{standard.id}",
        f"{t}/publishing",
        f"{t}/publishing/{key(previous)}/publish",
    ):
        assert (await client.get(url)).status_code == 404, url
    # Under its own address, another tribunal's standard is a 404 too.
    o = f"/{other.slug}/staff/service-standards"
    assert (await client.get(f"{o}/{standard.id}")).status_code == 404
    assert (await client.get(f"{o}/{standard.id}/at-risk")).status_code == 404
    assert (await client.get(f"{o}/{standard.id}/new-version")).status_code == 404
    response = await post_form(
        client, f"{o}/{standard.id}/new-version", definition(note="Mine"), page=f"{o}/manage"
    )
    assert response.status_code == 404
    assert (await client.get(f"{o}/{uuid.uuid4()}")).status_code == 404
    assert await count(db, StandardVersion, StandardVersion.standard_id == standard.id) == 1


async def test_a_clerk_or_an_adjudicator_cannot_reach_the_administrators_forms(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_standards_tribunal(db)
    standard = await standard_in_force(db, tribunal)
    _current, previous, _earlier = quarters(tribunal)
    t = f"/{tribunal.slug}/staff/service-standards"
    for role in (Role.CLERK, Role.ADJUDICATOR):
        await as_user(client, await make_staff(db, tribunal, role))
        assert (await client.get(t)).status_code == 200
        assert "Manage service standards" not in (await client.get(f"/{tribunal.slug}/staff")).text
        for url in (
            f"{t}/manage",
            f"{t}/new",
            f"{t}/{standard.id}",
            f"{t}/{standard.id}/new-version",
            f"{t}/publishing",
            f"{t}/publishing/{key(previous)}/publish",
            f"{t}/publishing/{key(previous)}/correct",
            f"{t}/publishing/{key(previous)}/recompute",
        ):
            # Staff without the permission get a 404, as outsiders do: the platform's rule.
            assert (await client.get(url)).status_code == 404, url
        token = await csrf_token(client, t)
        for url, data in (
            (f"{t}/new", definition()),
            (f"{t}/{standard.id}/new-version", definition(note="Why")),
            (f"{t}/publishing/{key(previous)}/publish", {}),
        ):
            response = await client.post(url, data={**data, "csrf_token": token})
            assert response.status_code == 404, url
    assert await count(db, ServiceStandard, ServiceStandard.tribunal_id == tribunal.id) == 1
    assert await count(db, PublishedFigures, PublishedFigures.tribunal_id == tribunal.id) == 0


# -- defining the standards ---------------------------------------------------------------------


async def test_the_admin_creates_a_standard_then_a_new_version(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_standards_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN, name="Ada Admin")
    await as_user(client, admin)
    workspace = await client.get(f"/{tribunal.slug}/staff")
    manage = f"/{tribunal.slug}/staff/service-standards/manage"
    assert f'href="{manage}"' in workspace.text
    listing = await client.get(manage)
    assert "Add a service standard" in text_of(listing)

    new = f"/{tribunal.slug}/staff/service-standards/new"
    form = await client.get(new)
    assert form.status_code == 200
    # The events are offered by their translated names.
    assert '<option value="accepted">Case accepted</option>' in form.text
    assert '<option value="party_adjournment">Hearing adjourned at a party’s request</option>' in (
        form.text
    )
    created = await post_form(client, new, definition(), page=new)
    assert created.status_code == 303, created.text
    standard = await db.scalar(
        select(ServiceStandard).where(ServiceStandard.tribunal_id == tribunal.id)
    )
    assert standard is not None
    assert standard.code == "hearing-within-90"
    page = await client.get(created.headers["location"])
    assert page.status_code == 200
    assert "The definition is saved." in text_of(page)
    assert "Hold the hearing within 90 days" in text_of(page)
    assert "Version 1, in force from" in text_of(page)
    assert "Ada Admin" in text_of(page)

    version_url = f"/{tribunal.slug}/staff/service-standards/{standard.id}/new-version"
    prefilled = await client.get(version_url)
    assert 'value="Hold the hearing within 90 days"' in prefilled.text
    assert '<option value="heard" selected>' in prefilled.text
    # A later version needs a note saying what changes.
    changed = definition(limit_days="60", **{"effective_from-year": "2028"})
    refused = await post_form(client, version_url, changed, page=version_url)
    assert refused.status_code == 422
    assert ("note", "Say what changes in the definition, and why") in error_summary(refused.text)
    saved = await post_form(
        client,
        version_url,
        {**changed, "note": "The board now promises 60 days."},
        page=version_url,
    )
    assert saved.status_code == 303, saved.text
    history = text_of(await client.get(saved.headers["location"]))
    assert "Version 2, in force from" in history
    assert "The board now promises 60 days." in history
    assert "Changed: Limit." in history
    versions = (
        await db.scalars(
            select(StandardVersion)
            .where(StandardVersion.standard_id == standard.id)
            .order_by(StandardVersion.number)
        )
    ).all()
    assert [(v.number, v.limit_days, v.created_by_id) for v in versions] == [
        (1, 90, admin.id),
        (2, 60, admin.id),
    ]
    actions = set(
        await db.scalars(select(AuditEvent.action).where(AuditEvent.tribunal_id == tribunal.id))
    )
    assert AuditAction.SERVICE_STANDARD_CREATED.value in actions
    assert AuditAction.SERVICE_STANDARD_VERSION_ADDED.value in actions


BAD_INPUT = [
    (
        {"start_event": "decided", "stop_event": "accepted"},
        "stop_event",
        "The clock cannot stop on “%(stop)s”: it does not come after “%(start)s” in a case’s life",
        {"stop": "Case accepted", "start": "Decision issued"},
    ),
    ({"limit_days": "0"}, "limit_days", "Enter a limit of at least 1 day", {}),
    ({"target_percent": "101"}, "target_percent", "Enter a target of at most 100 percent", {}),
    ({"start_event": "lunch"}, "start_event", "Select the event that starts the clock", {}),
    (
        {"pause_event": "heard"},
        "pause_event",
        "Select an event that pauses the clock, or none",
        {},
    ),
    (
        {"limit_days": "ten"},
        "limit_days",
        "Enter the limit as a whole number of days, like 10",
        {},
    ),
    (
        {"target_percent": "80.5"},
        "target_percent",
        "Enter the target as a whole number of percent, like 80",
        {},
    ),
    (
        {"limit_days": "9" * 40},
        "limit_days",
        "Enter the limit as a whole number of days, like 10",
        {},
    ),
    (
        {"effective_from-month": "5"},
        "effective_from",
        "A definition applies from the first day of a fiscal quarter: 1 April, 1 July, "
        "1 October or 1 January",
        {},
    ),
    (
        {"effective_from-day": "31", "effective_from-month": "2"},
        "effective_from",
        "Enter the day the definition applies from as a real date, like 1 4 2027",
        {},
    ),
    ({"unit": "fortnights"}, "unit", "Select business days or calendar days", {}),
    (
        {"code": "Hearing 90!"},
        "code",
        "Enter a code of lowercase letters, digits and dashes, like decision-within-90",
        {},
    ),
]


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_each_bad_definition_is_refused_with_its_message_and_nothing_stored(
    client: httpx.AsyncClient, db: AsyncSession, language: str
) -> None:
    tribunal = await make_standards_tribunal(db)
    await as_user(client, await make_staff(db, tribunal, Role.ADMIN, language=language))
    new = f"/{tribunal.slug}/staff/service-standards/new"
    headers: dict[str, str] = {}
    for fields, field, message, variables in BAD_INPUT:
        response = await post(client, new, definition(**fields), page=new, headers=headers)
        assert response.status_code == 422, fields
        # Event names inside a message are in the reader's language too.
        expected = (
            french(message, **{name: french(label) for name, label in variables.items()})
            if language == "fr"
            else message % variables
            if variables
            else message
        )
        summary = error_summary(response.text)
        assert (field, expected) in summary, (fields, summary)
        # The field the summary links to is on the page, and what was typed is kept.
        assert f'id="{field}"' in response.text
        assert 'value="Hold the hearing within 90 days"' in response.text
    # Several at once, in the order of the form.
    several = await post(
        client,
        new,
        definition(limit_days="0", target_percent="101", name_fr=""),
        page=new,
        headers=headers,
    )
    assert [name for name, _message in error_summary(several.text)] == [
        "name_fr",
        "limit_days",
        "target_percent",
    ]
    assert await count(db, ServiceStandard, ServiceStandard.tribunal_id == tribunal.id) == 0
    assert await count(db, StandardVersion, StandardVersion.tribunal_id == tribunal.id) == 0


async def test_a_code_taken_is_refused(client: httpx.AsyncClient, db: AsyncSession) -> None:
    tribunal = await make_standards_tribunal(db)
    await standard_in_force(db, tribunal, code="hearing-within-90")
    await as_user(client, await make_staff(db, tribunal, Role.ADMIN))
    new = f"/{tribunal.slug}/staff/service-standards/new"
    response = await post_form(client, new, definition(), page=new)
    assert response.status_code == 422
    assert ("code", "The tribunal already has a standard with this code") in error_summary(
        response.text
    )
    assert await count(db, ServiceStandard, ServiceStandard.tribunal_id == tribunal.id) == 1


# -- publishing ---------------------------------------------------------------------------------


async def test_publish_a_quarter_once_then_correct_it_with_a_note_and_recompute(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_standards_tribunal(db)
    await standard_in_force(db, tribunal)
    current, previous, earlier = quarters(tribunal)
    start = previous.starts_at(tribunal.time_zone) + timedelta(days=1, hours=12)
    late = await make_timeline_case(db, tribunal, start)
    await make_timeline_case(db, tribunal, start, [("accepted", start + timedelta(days=2))])
    admin = await make_staff(db, tribunal, Role.ADMIN)
    await as_user(client, admin)
    publishing = f"/{tribunal.slug}/staff/service-standards/publishing"

    listing = await client.get(publishing)
    assert listing.status_code == 200
    publish_url = f"{publishing}/{key(previous)}/publish"
    assert f'href="{publish_url}"' in listing.text
    assert f'href="{publishing}/{key(earlier)}/publish"' in listing.text
    assert key(current) not in listing.text
    # The figures are shown to check before they are published; nothing is stored yet.
    check = await client.get(publish_url)
    assert check.status_code == 200
    assert "Check the figures of" in text_of(check)
    assert "Acknowledge a filing" in text_of(check)
    assert await count(db, PublishedFigures, PublishedFigures.tribunal_id == tribunal.id) == 0

    published = await post_form(client, publish_url, {}, page=publish_url)
    assert published.status_code == 303
    after = await client.get(published.headers["location"])
    assert "The figures are published." in text_of(after)
    assert f'href="{publishing}/{key(previous)}/correct"' in after.text
    assert f'href="{publish_url}"' not in after.text
    # Publishing again is refused, and so is a quarter not ended; nothing more is stored.
    again = await post_form(client, publish_url, {}, page=publishing)
    assert again.status_code == 409
    assert "are published already" in text_of(again)
    assert "Nothing was changed." in text_of(again)
    running = await post_form(client, f"{publishing}/{key(current)}/publish", {}, page=publishing)
    assert running.status_code == 409
    assert "once the quarter has ended" in text_of(running)
    assert (await client.get(f"{publishing}/{key(current)}/publish")).status_code == 409
    assert (await client.get(f"{publishing}/2026-q5/publish")).status_code == 404
    assert await count(db, PublishedFigures, PublishedFigures.tribunal_id == tribunal.id) == 1

    recompute = f"{publishing}/{key(previous)}/recompute"
    agreeing = await client.get(recompute)
    assert agreeing.status_code == 200
    assert "The figures agree" in text_of(agreeing)

    # Nothing changed: a correction has nothing to correct.
    correct = f"{publishing}/{key(previous)}/correct"
    unchanged = await post_form(client, correct, {"note": "Checked."}, page=correct)
    assert unchanged.status_code == 409
    assert "there is nothing to correct" in text_of(unchanged)
    # An acceptance recorded late: the recomputation shows the figures that moved.
    db.add(
        CaseEvent(
            tribunal_id=tribunal.id,
            filing_id=late.id,
            kind="accepted",
            occurred_at=start + timedelta(days=3),
        )
    )
    await db.commit()
    differing = text_of(await client.get(recompute))
    assert "The figures agree" not in differing
    assert re.search(r"Met</th>\s*<td[^>]*>1</td>\s*<td[^>]*>2</td>", differing)
    # A correction needs a note, and not a too long one.
    no_note = await post_form(client, correct, {"note": "  "}, page=correct)
    assert no_note.status_code == 422
    assert ("note", "Say what the correction changes, and why.") in error_summary(no_note.text)
    too_long = await post_form(
        client,
        correct,
        {"note": "x" * (snapshots.CORRECTION_NOTE_MAX_LENGTH + 1)},
        page=correct,
    )
    assert too_long.status_code == 422
    assert await count(db, PublishedFigures, PublishedFigures.tribunal_id == tribunal.id) == 1
    corrected = await post_form(
        client, correct, {"note": "An acceptance was recorded late."}, page=correct
    )
    assert corrected.status_code == 303
    assert "The correction is published." in text_of(
        await client.get(corrected.headers["location"])
    )
    history = text_of(await client.get(correct))
    assert "An acceptance was recorded late." in history
    versions = (
        await db.scalars(
            select(PublishedFigures.version)
            .where(PublishedFigures.tribunal_id == tribunal.id)
            .order_by(PublishedFigures.version)
        )
    ).all()
    assert list(versions) == [1, 2]
    assert "The figures agree" in text_of(await client.get(recompute))
    actions = list(
        await db.scalars(select(AuditEvent.action).where(AuditEvent.tribunal_id == tribunal.id))
    )
    assert AuditAction.SERVICE_STANDARD_FIGURES_PUBLISHED.value in actions
    assert AuditAction.SERVICE_STANDARD_FIGURES_CORRECTED.value in actions

    # In French, for an administrator who reads it.
    await as_user(client, await make_staff(db, tribunal, Role.ADMIN, language="fr"))
    french_page = await client.get(recompute)
    assert french("The figures agree") in text_of(french_page)
    french_again = await post(client, publish_url, {}, page=publishing)
    assert french_again.status_code == 409
    assert french("Nothing was changed.") in text_of(french_again)


async def test_a_quarter_without_a_standard_in_force_has_nothing_to_publish(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_standards_tribunal(db)
    current, previous, _earlier = quarters(tribunal)
    # In force from the current quarter only.
    await make_standard(db, tribunal, code="later", effective_from=current.first_day)
    await as_user(client, await make_staff(db, tribunal, Role.ADMIN))
    publishing = f"/{tribunal.slug}/staff/service-standards/publishing"
    listing = await client.get(publishing)
    assert f"{key(previous)}/publish" not in listing.text
    url = f"{publishing}/{key(previous)}/publish"
    for response in (await client.get(url), await post_form(client, url, {}, page=publishing)):
        assert response.status_code == 409
        assert "No service standard was in force" in text_of(response)
    correct = f"{publishing}/{key(previous)}/correct"
    for url in (correct, f"{publishing}/{key(previous)}/recompute"):
        refused = await client.get(url)
        assert refused.status_code == 409
        assert "are not published yet: publish them first" in text_of(refused)
    refused_correction = await post_form(client, correct, {"note": "A note."}, page=publishing)
    assert refused_correction.status_code == 409
    assert await count(db, PublishedFigures, PublishedFigures.tribunal_id == tribunal.id) == 0


async def test_a_new_version_cannot_change_a_published_quarter(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    tribunal = await make_standards_tribunal(db)
    standard = await standard_in_force(db, tribunal)
    _current, previous, earlier = quarters(tribunal)
    await snapshots.publish_quarter(db, tribunal, earlier, user=None)
    await db.commit()
    await as_user(client, await make_staff(db, tribunal, Role.ADMIN))
    url = f"/{tribunal.slug}/staff/service-standards/{standard.id}/new-version"
    day = earlier.first_day
    response = await post_form(
        client,
        url,
        definition(
            note="Shorter limit.",
            **{
                "effective_from-day": str(day.day),
                "effective_from-month": str(day.month),
                "effective_from-year": str(day.year),
            },
        ),
        page=url,
    )
    assert response.status_code == 422
    [(field, message)] = error_summary(text_of(response))
    assert field == "effective_from"
    assert "are published with the definitions then in force" in message
    assert await count(db, StandardVersion, StandardVersion.standard_id == standard.id) == 1
    # From the quarter after it, the version is saved.
    day = previous.first_day
    saved = await post_form(
        client,
        url,
        definition(
            note="Shorter limit.",
            **{
                "effective_from-day": str(day.day),
                "effective_from-month": str(day.month),
                "effective_from-year": str(day.year),
            },
        ),
        page=url,
    )
    assert saved.status_code == 303
    assert await count(db, StandardVersion, StandardVersion.standard_id == standard.id) == 2
