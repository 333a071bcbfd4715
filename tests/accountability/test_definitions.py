"""Defining service standards: the event catalogue, versions in force by quarter, the refusals
(each with its translated message, nothing saved), and definitions that never change."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from accountability.standards import events, services, snapshots
from accountability.standards.models import ClockUnit, ServiceStandard, StandardVersion
from accountability.standards.periods import Quarter
from tests.accountability.factories import local, make_standard, make_standards_tribunal, values
from tests.factories.filings import make_case_type
from tests.factories.tribunals import make_staff
from tribunals.models import Role
from tribune.audit import AuditAction, AuditEvent
from tribune.i18n import use_language


def test_the_catalogue_orders_a_cases_life_and_pairs_each_pause_with_its_resume() -> None:
    assert [event.code for event in events.milestones()] == [
        "submitted",
        "accepted",
        "scheduled",
        "heard",
        "decided",
        "closed",
    ]
    assert [event.code for event in events.stops_after("scheduled")] == [
        "heard",
        "decided",
        "closed",
    ]
    assert events.stops_after("closed") == []
    assert events.stops_after("returned") == []  # a pause starts no clock
    assert {event.code: events.RESUME_OF[event.code] for event in events.pauses()} == {
        "returned": "resubmitted",
        "party_adjournment": "scheduled",
    }
    adjournment = events.CATALOGUE["party_adjournment"]
    assert (adjournment.kind, adjournment.reasons) == ("adjourned", ("party_unavailable",))
    with use_language("fr"):
        assert str(events.CATALOGUE["decided"].label) == "Décision rendue"


async def test_a_standard_is_created_with_its_first_definition_and_audited(
    db: AsyncSession,
) -> None:
    tribunal = await make_standards_tribunal(db)
    admin = await make_staff(db, tribunal, Role.ADMIN)
    made = await services.create_standard(
        db,
        tribunal,
        "acknowledge",
        values(pause_event="returned", resume_event="resubmitted", note="As in our charter."),
        user=admin,
    )
    second = await services.create_standard(
        db, tribunal, "decide-90", values(start_event="heard", stop_event="decided"), user=admin
    )
    await db.commit()
    assert [s.code for s in await services.standards_of(db, tribunal)] == [
        "acknowledge",
        "decide-90",
    ]
    assert (made.standard.position, second.standard.position) == (1, 2)
    version = made.version
    assert (version.number, version.limit_days, version.unit) == (1, 5, ClockUnit.BUSINESS_DAYS)
    assert (version.pause_event, version.resume_event) == ("returned", "resubmitted")
    assert version.created_by_id == admin.id
    entry = await db.scalar(
        select(AuditEvent).where(
            AuditEvent.tribunal_id == tribunal.id,
            AuditEvent.action == AuditAction.SERVICE_STANDARD_CREATED.value,
            AuditEvent.subject_id == made.standard.id,
        )
    )
    assert entry is not None
    assert entry.actor_id == admin.id
    # Another tribunal does not see it.
    other = await make_standards_tribunal(db)
    assert await services.standard_of(db, other, made.standard.id) is None
    assert await services.standard_of(db, tribunal, made.standard.id) is made.standard


async def test_the_definition_in_force_is_the_latest_saved_from_the_latest_quarter(
    db: AsyncSession,
) -> None:
    tribunal = await make_standards_tribunal(db)
    made = await make_standard(db, tribunal)  # from 1 April 2026
    october = await services.add_version(
        db,
        tribunal,
        made.standard,
        values(limit_days=8, effective_from=date(2026, 10, 1), note="More hearings in person."),
        user=None,
    )
    # Changed again before October came: the later save wins for the same quarter.
    october_again = await services.add_version(
        db,
        tribunal,
        made.standard,
        values(limit_days=9, effective_from=date(2026, 10, 1), note="Nine, as the board decided."),
        user=None,
    )
    await db.commit()
    assert (october.number, october_again.number) == (2, 3)

    async def limit_on(day: date) -> int | None:
        version = await services.version_in_force(db, made.standard, day)
        return version.limit_days if version else None

    assert await limit_on(date(2026, 3, 31)) is None
    assert await limit_on(date(2026, 4, 1)) == 5
    assert await limit_on(date(2026, 9, 30)) == 5
    assert await limit_on(date(2026, 10, 1)) == 9
    assert [v.number for v in await services.versions_of(db, made.standard)] == [1, 2, 3]
    in_force = await services.definitions_in_force(db, tribunal, date(2026, 12, 1))
    assert [(d.standard.id, d.version.number) for d in in_force] == [(made.standard.id, 3)]


REFUSALS: list[tuple[dict[str, Any], str, str]] = [
    ({"name_en": "  "}, "name_en", "Enter the standard’s name in English"),
    ({"name_fr": ""}, "name_fr", "Enter the standard’s name in French"),
    ({"name_en": "x" * 201}, "name_en", "The name must be 200 characters or fewer"),
    (
        {"description_fr": "x" * 2001},
        "description_fr",
        "The description must be 2,000 characters or fewer",
    ),
    ({"start_event": "returned"}, "start_event", "Select the event that starts the clock"),
    ({"stop_event": "teleported"}, "stop_event", "Select the event that stops the clock"),
    (
        {"start_event": "accepted", "stop_event": "submitted"},
        "stop_event",
        "The clock cannot stop on “Case submitted”: it does not come after “Case accepted” in "
        "a case’s life",
    ),
    (
        {"start_event": "heard", "stop_event": "heard"},
        "stop_event",
        "The clock cannot stop on “Hearing held”: it does not come after “Hearing held” in a "
        "case’s life",
    ),
    (
        {"pause_event": "returned"},
        "resume_event",
        "Select the event that resumes the clock after “Returned to the claimant for completion”",
    ),
    (
        {"resume_event": "resubmitted"},
        "pause_event",
        "Select the event that pauses the clock, or no event that resumes it",
    ),
    (
        {"pause_event": "returned", "resume_event": "scheduled"},
        "resume_event",
        "After “Returned to the claimant for completion” the clock resumes on “Resubmitted by "
        "the claimant”, not on “Hearing scheduled”",
    ),
    (
        {"pause_event": "accepted", "resume_event": "scheduled"},
        "pause_event",
        "Select an event that pauses the clock, or none",
    ),
    ({"limit_days": 0}, "limit_days", "Enter a limit of at least 1 day"),
    ({"limit_days": -3}, "limit_days", "Enter a limit of at least 1 day"),
    ({"limit_days": 3651}, "limit_days", "Enter a limit of at most 3,650 days"),
    ({"target_percent": 0}, "target_percent", "Enter a target of at least 1 percent"),
    ({"target_percent": 101}, "target_percent", "Enter a target of at most 100 percent"),
    (
        {"case_type_code": "no-such-kind"},
        "case_type_code",
        "Select one of the tribunal’s kinds of case, or every case",
    ),
    (
        {"effective_from": date(2026, 4, 2)},
        "effective_from",
        "A definition applies from the first day of a fiscal quarter: 1 April, 1 July, "
        "1 October or 1 January",
    ),
]


@pytest.mark.parametrize(("changes", "field", "message"), REFUSALS)
async def test_a_definition_is_refused_with_a_message_for_its_field(
    db: AsyncSession, changes: dict[str, Any], field: str, message: str
) -> None:
    tribunal = await make_standards_tribunal(db)
    await make_case_type(db, tribunal, code="appeal")
    with pytest.raises(services.DefinitionRefused) as refused:
        await services.create_standard(db, tribunal, "acknowledge", values(**changes), user=None)
    assert refused.value.errors == {field: message}
    saved = select(func.count()).where(ServiceStandard.tribunal_id == tribunal.id)
    assert await db.scalar(saved) == 0
    # A known kind of case is accepted.
    made = await services.create_standard(
        db, tribunal, "appeals", values(case_type_code="appeal"), user=None
    )
    assert made.version.case_type_code == "appeal"


async def test_the_refusals_are_in_french_for_a_french_administrator(db: AsyncSession) -> None:
    tribunal = await make_standards_tribunal(db)
    with use_language("fr"), pytest.raises(services.DefinitionRefused) as refused:
        await services.create_standard(
            db,
            tribunal,
            "Not A Code",
            values(start_event="decided", stop_event="accepted", limit_days=0, target_percent=150),
            user=None,
        )
    assert refused.value.errors == {
        "code": "Entrez un code de lettres minuscules, de chiffres et de traits d’union, comme "
        "decision-within-90",
        "stop_event": "Le chronomètre ne peut pas s’arrêter à «\u00a0Dossier accepté\u00a0»\u00a0: "
        "cet événement ne vient pas après «\u00a0Décision rendue\u00a0» dans la vie d’un dossier",
        "limit_days": "Entrez un délai d’au moins 1 jour",
        "target_percent": "Entrez une cible d’au plus 100 pour cent",
    }


async def test_a_code_is_unique_in_a_tribunal(db: AsyncSession) -> None:
    tribunal = await make_standards_tribunal(db)
    await make_standard(db, tribunal, code="acknowledge")
    with pytest.raises(services.DefinitionRefused) as refused:
        await services.create_standard(db, tribunal, "acknowledge", values(), user=None)
    assert refused.value.errors == {"code": "The tribunal already has a standard with this code"}
    # Another tribunal may use it.
    other = await make_standards_tribunal(db)
    await services.create_standard(db, other, "acknowledge", values(), user=None)


async def test_a_new_definition_says_why_and_cannot_change_a_published_quarter(
    db: AsyncSession,
) -> None:
    tribunal = await make_standards_tribunal(db)
    made = await make_standard(db, tribunal)
    with pytest.raises(services.DefinitionRefused) as refused:
        await services.add_version(
            db, tribunal, made.standard, values(effective_from=date(2026, 7, 1)), user=None
        )
    assert refused.value.errors == {"note": "Say what changes in the definition, and why"}

    await snapshots.publish_quarter(
        db, tribunal, Quarter(2026, 1), user=None, now=local(2026, 7, 2)
    )
    with pytest.raises(services.DefinitionRefused) as published:
        await services.add_version(
            db,
            tribunal,
            made.standard,
            values(limit_days=3, effective_from=date(2026, 4, 1), note="Faster."),
            user=None,
        )
    assert published.value.errors == {
        "effective_from": "The figures up to June 30, 2026 are published with the definitions "
        "then in force: a new definition can apply from July 1, 2026 at the earliest"
    }
    assert [v.number for v in await services.versions_of(db, made.standard)] == [1]
    # From the next quarter on, it applies.
    later = await services.add_version(
        db,
        tribunal,
        made.standard,
        values(limit_days=3, effective_from=date(2026, 7, 1), note="Faster."),
        user=None,
    )
    assert later.number == 2


async def test_a_saved_definition_never_changes(db: AsyncSession) -> None:
    tribunal = await make_standards_tribunal(db)
    made = await make_standard(db, tribunal)
    version_id = made.version.id
    for change in ({"limit_days": 50}, {"note": "rewritten"}, {"effective_from": date(2027, 1, 1)}):
        with pytest.raises(DBAPIError, match="never change"):
            await db.execute(
                update(StandardVersion)
                .where(StandardVersion.id == version_id)
                .values(**change)
                .execution_options(synchronize_session=False)
            )
        await db.rollback()
    stored = await db.get_one(StandardVersion, version_id)
    assert (stored.limit_days, stored.note) == (5, "")
    # The key to the account that wrote it may still be emptied (an account going away).
    await db.execute(
        update(StandardVersion)
        .where(StandardVersion.id == version_id)
        .values(created_by_id=None)
        .execution_options(synchronize_session=False)
    )
