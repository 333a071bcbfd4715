"""The case lifecycle through the HTTP routes: every allowed move for every role that may make
it, a sample of refused ones (409, nothing changed), and the compare-and-set on the status."""

from __future__ import annotations

import html

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from accounts.models import User
from filings import lifecycle
from filings.access import Actor
from filings.lifecycle import TRANSITIONS, TransitionRefused
from filings.models import CaseEvent, CaseParty, Filing, FilingStatus, PartyRole
from tests.factories.accounts import make_user
from tests.factories.filings import make_case
from tests.factories.tribunals import make_staff, make_tribunal
from tests.helpers import post_form, sign_in
from tribunals.models import Role, Tribunal
from tribune.audit import AuditEvent
from tribune.mail import OutboxMessage
from tribune.settings import Settings

S = FilingStatus
STAFF_ROLES = {
    Actor.CLERK: Role.CLERK,
    Actor.ADJUDICATOR: Role.ADJUDICATOR,
    Actor.ADMIN: Role.ADMIN,
}

ALLOWED = [
    pytest.param(name, source, actor, id=f"{name}-{source.value}-{actor.value}")
    for name, transition in TRANSITIONS.items()
    if not transition.hearing_step
    for source in sorted(transition.sources, key=lambda status: status.value)
    for actor in sorted(transition.actors, key=lambda actor: actor.value)
]


async def actor_for(
    db: AsyncSession, tribunal: Tribunal, actor: Actor, status: FilingStatus
) -> tuple[Filing, User]:
    """Return a case in `status` and a person acting on it as `actor`."""
    claimant = await make_user(db)
    case = await make_case(db, tribunal, filer=claimant, status=status, representative="Rita Rep")
    if actor in STAFF_ROLES:
        return case, await make_staff(db, tribunal, STAFF_ROLES[actor])
    if actor is Actor.CLAIMANT:
        return case, claimant
    representative_user = await make_user(db)
    representative = (
        await db.execute(
            select(CaseParty).where(
                CaseParty.filing_id == case.id, CaseParty.role == PartyRole.REPRESENTATIVE
            )
        )
    ).scalar_one()
    representative.user_id = representative_user.id
    await db.commit()
    return case, representative_user


def url_for(tribunal: Tribunal, case: Filing, name: str, actor: Actor) -> tuple[str, str]:
    """Return where the move is posted and the page its form is on."""
    if actor in STAFF_ROLES:
        page = f"/{tribunal.slug}/staff/cases/{case.id}"
    else:
        page = f"/{tribunal.slug}/cases/{case.id}"
    return f"{page}/transitions/{name}", page


async def counts(db: AsyncSession, case: Filing) -> tuple[int, int, int]:
    events = await db.scalar(
        select(func.count()).select_from(CaseEvent).where(CaseEvent.filing_id == case.id)
    )
    messages = await db.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.case_id == case.id)
    )
    audits = await db.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case.id)
    )
    return int(events or 0), int(messages or 0), int(audits or 0)


@pytest.mark.parametrize(("name", "source", "actor"), ALLOWED)
async def test_every_allowed_move(
    client: httpx.AsyncClient,
    db: AsyncSession,
    name: str,
    source: FilingStatus,
    actor: Actor,
) -> None:
    transition = TRANSITIONS[name]
    tribunal = await make_tribunal(db)
    case, person = await actor_for(db, tribunal, actor, source)
    await sign_in(client, person.email)
    url, page = url_for(tribunal, case, name, actor)
    shown = await client.get(page)
    assert shown.status_code == 200
    assert str(transition.label) in html.unescape(shown.text)
    data = {f"reason-{name}": "Reasons given in writing."} if transition.reason_required else {}
    moved = await post_form(client, url, data, page=page)
    assert moved.status_code == 303, moved.text
    assert moved.headers["location"] == page
    await db.refresh(case)
    assert case.status is transition.target
    event = (
        await db.execute(
            select(CaseEvent).where(
                CaseEvent.filing_id == case.id, CaseEvent.kind == transition.event_kind
            )
        )
    ).scalar_one()
    assert event.visible_to_parties
    assert event.actor_id == person.id
    assert event.details["from"] == source.value
    assert event.details["role"] == actor.value
    if transition.reason_required:
        assert event.details["reason"] == "Reasons given in writing."
    # The claimant and their authorised representative are told.
    told = set(
        (
            await db.execute(
                select(OutboxMessage.to_address).where(
                    OutboxMessage.case_id == case.id, OutboxMessage.template == "case_event"
                )
            )
        ).scalars()
    )
    assert len(told) == 2
    entry = await db.scalar(
        select(AuditEvent).where(
            AuditEvent.case_id == case.id, AuditEvent.action == f"case.{transition.event_kind}"
        )
    )
    assert entry is not None
    assert entry.actor_role == actor.value


REFUSED = [
    # Wrong state.
    ("accept", S.ACCEPTED, Actor.CLERK),
    ("schedule", S.SUBMITTED, Actor.CLERK),
    # Hearing steps are made by the hearing pages, never by a case page's button.
    ("schedule", S.ACCEPTED, Actor.CLERK),
    ("mark_heard", S.SCHEDULED, Actor.ADJUDICATOR),
    ("decide", S.HEARD, Actor.ADJUDICATOR),
    ("decide", S.HEARD, Actor.CLERK),
    ("adjourn", S.SCHEDULED, Actor.CLERK),
    ("close", S.HEARD, Actor.ADMIN),
    ("dismiss", S.DECIDED, Actor.ADJUDICATOR),
    ("return", S.RETURNED, Actor.ADMIN),
    ("resubmit", S.SUBMITTED, Actor.CLAIMANT),
    ("withdraw", S.DECIDED, Actor.CLAIMANT),
    ("withdraw", S.CLOSED, Actor.REPRESENTATIVE),
    # Wrong role.
    ("return", S.SUBMITTED, Actor.ADJUDICATOR),
    ("dismiss", S.SUBMITTED, Actor.CLERK),
    ("withdraw", S.SUBMITTED, Actor.CLERK),
    ("resubmit", S.RETURNED, Actor.ADMIN),
    ("nonsense", S.SUBMITTED, Actor.CLERK),
]


@pytest.mark.parametrize(
    ("name", "status", "actor"),
    [pytest.param(*case, id=f"{case[0]}-{case[1].value}-{case[2].value}") for case in REFUSED],
)
async def test_refused_moves_change_nothing(
    client: httpx.AsyncClient,
    db: AsyncSession,
    name: str,
    status: FilingStatus,
    actor: Actor,
) -> None:
    tribunal = await make_tribunal(db)
    case, person = await actor_for(db, tribunal, actor, status)
    before = await counts(db, case)
    await sign_in(client, person.email)
    url, _page = url_for(tribunal, case, name, actor)
    refused = await post_form(
        client, url, {f"reason-{name}": "Because."}, page=f"/{tribunal.slug}/my-cases"
    )
    assert refused.status_code == 409
    body = html.unescape(refused.text)
    assert "This change cannot be made" in body
    assert "Nothing was changed" in body
    await db.refresh(case)
    assert case.status is status
    assert await counts(db, case) == before


async def test_refusal_is_translated(client: httpx.AsyncClient, db: AsyncSession) -> None:
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK, language="fr")
    case = await make_case(db, tribunal, status=S.ACCEPTED)
    await sign_in(client, clerk.email)
    page = f"/{tribunal.slug}/staff/cases/{case.id}"
    refused = await post_form(client, f"{page}/transitions/accept", {}, page=page)
    assert refused.status_code == 409
    assert 'lang="fr"' in refused.text
    assert "This change cannot be made" not in refused.text


async def test_compare_and_set_refuses_a_stale_move(
    app: Starlette, db: AsyncSession, settings: Settings
) -> None:
    tribunal = await make_tribunal(db)
    clerk = await make_staff(db, tribunal, Role.CLERK)
    case = await make_case(db, tribunal)
    # Another clerk accepted the case after this one loaded it.
    await db.execute(
        update(Filing)
        .where(Filing.id == case.id)
        .values(status=S.RETURNED)
        .execution_options(synchronize_session=False)
    )
    assert case.status is S.SUBMITTED  # what this clerk's page still shows
    with pytest.raises(TransitionRefused) as refused:
        await lifecycle.apply(
            db,
            app.state.outbox,
            tribunal,
            case,
            "accept",
            user=clerk,
            actors=frozenset({Actor.CLERK}),
        )
    assert "changed by someone else" in refused.value.message
    await db.refresh(case)
    # The refresh reads what the other clerk wrote (mypy still sees the status asserted above).
    assert case.status is S.RETURNED  # type: ignore[comparison-overlap]
    assert (
        await db.scalar(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "accepted")
        )
    ) == 0
