"""The audit log's actions are a catalogue: every one has its name in English and in French,
and nothing else can be recorded."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tribune import audit
from tribune.audit import ACTION_LABELS, AuditAction, AuditEvent, action_label
from tribune.i18n import use_language


def test_every_action_has_an_english_and_a_french_name() -> None:
    assert set(ACTION_LABELS) == set(AuditAction)
    untranslated = []
    for action in AuditAction:
        with use_language("en"):
            english = action.label
        with use_language("fr"):
            french = action.label
        if not english or english == action.value or french == english:
            untranslated.append(f"{action.value}: {english!r} / {french!r}")
    assert untranslated == []


def test_a_recorded_action_reads_by_its_name_and_an_unknown_code_as_itself() -> None:
    with use_language("fr"):
        assert action_label("case.accepted") == "Dossier accepté"
    assert action_label("no.such_action") == "no.such_action"


async def test_only_members_of_the_catalogue_can_be_recorded(db: AsyncSession) -> None:
    with pytest.raises(TypeError):
        audit.record(db, "case.accepted")  # type: ignore[arg-type]
    event = audit.record(db, AuditAction.CASE_ACCEPTED)
    await db.flush()
    stored = (await db.execute(select(AuditEvent.action).where(AuditEvent.id == event.id))).scalar()
    assert stored == "case.accepted"
    await db.rollback()
