"""A participant's self-test of their equipment before a video hearing.

- Each participant of a video hearing (a party or representative with an account, its
  adjudicator) may test their camera, microphone and sound on the self-test page and say how
  it went: passed, failed (with a reason from a fixed list) or skipped. The registry, who
  supports the hearing and does not attend it, has nothing to test.
- One row per participant per hearing: the latest result replaces the earlier one, and each
  recording is an audit entry.
- A test may be recorded any time before the hearing is over, not only inside its join
  window; once it is held, cancelled, adjourned, ended or past its window, it is refused.
- The console reads every participant's result in one statement (``self_tests_of``); the
  clerk's day view reads the failed ones of many hearings in one (``failed_self_tests``).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from hearings.jitsi import WindowState, window_state
from hearings.models import (
    Hearing,
    HearingSelfTest,
    HearingStatus,
    SelfTestReason,
    SelfTestResult,
)
from tribunals.models import Tribunal
from tribune import audit
from tribune.audit import AuditAction


class SelfTestRefused(Exception):  # noqa: N818 - reads as what happened
    """A self-test cannot be recorded now: ``reason`` is "not_held" (cancelled or adjourned)
    or "over" (held, ended or past its join window). Nothing changed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def refusal_of(hearing: Hearing, now: datetime) -> str | None:
    """Return why a self-test cannot be recorded for the hearing now, or None if it can."""
    if hearing.status in (HearingStatus.CANCELLED, HearingStatus.ADJOURNED):
        return "not_held"
    if (
        hearing.status is not HearingStatus.SCHEDULED
        or hearing.ended_at is not None
        or window_state(hearing, now) is WindowState.CLOSED
    ):
        return "over"
    return None


async def self_test_of(db: AsyncSession, hearing: Hearing, key: str) -> HearingSelfTest | None:
    """Return the participant's last self-test for the hearing, or None if they have not
    done one."""
    found: HearingSelfTest | None = await db.scalar(
        select(HearingSelfTest).where(
            HearingSelfTest.tribunal_id == hearing.tribunal_id,
            HearingSelfTest.hearing_id == hearing.id,
            HearingSelfTest.participant_key == key,
        )
    )
    return found


async def self_tests_of(db: AsyncSession, hearing: Hearing) -> dict[str, HearingSelfTest]:
    """Return every participant's last self-test for the hearing by participant key: one
    statement whatever the number of participants."""
    rows = await db.scalars(
        select(HearingSelfTest).where(
            HearingSelfTest.tribunal_id == hearing.tribunal_id,
            HearingSelfTest.hearing_id == hearing.id,
        )
    )
    return {row.participant_key: row for row in rows}


async def failed_self_tests(
    db: AsyncSession, tribunal: Tribunal, hearing_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[HearingSelfTest]]:
    """Return the failed self-tests of the tribunal's hearings named, by hearing, the earliest
    first: one statement whatever the number of hearings (none when no hearing is named)."""
    if not hearing_ids:
        return {}
    rows = await db.scalars(
        select(HearingSelfTest)
        .where(
            HearingSelfTest.tribunal_id == tribunal.id,
            HearingSelfTest.hearing_id.in_(list(hearing_ids)),
            HearingSelfTest.result == SelfTestResult.FAILED,
        )
        .order_by(HearingSelfTest.tested_at, HearingSelfTest.id)
    )
    failed: dict[uuid.UUID, list[HearingSelfTest]] = {}
    for row in rows:
        failed.setdefault(row.hearing_id, []).append(row)
    return failed


async def record_self_test(
    db: AsyncSession,
    hearing: Hearing,
    *,
    key: str,
    role: str,
    user: User,
    result: SelfTestResult,
    reason: SelfTestReason | None,
    now: datetime,
) -> HearingSelfTest:
    """Record the participant's self-test for the hearing, replacing their earlier one, with
    an audit entry; return it. ``reason`` is kept for a failed test only.

    Raises SelfTestRefused (nothing changed) once the hearing is over or not going ahead."""
    refusal = refusal_of(hearing, now)
    if refusal is not None:
        raise SelfTestRefused(refusal)
    kept_reason = reason if result is SelfTestResult.FAILED else None
    test = await self_test_of(db, hearing, key)
    if test is None:
        test = HearingSelfTest(
            id=uuid.uuid4(),
            tribunal_id=hearing.tribunal_id,
            hearing_id=hearing.id,
            participant_key=key,
            user_id=user.id,
            result=result,
            reason=kept_reason,
            tested_at=now,
        )
        try:
            # Two tabs recording at once: the unique key keeps one row, the other updates it.
            async with db.begin_nested():
                db.add(test)
                await db.flush()
        except IntegrityError:
            found = await self_test_of(db, hearing, key)
            assert found is not None
            test = found
    test.user_id = user.id
    test.result = result
    test.reason = kept_reason
    test.tested_at = now
    audit.record(
        db,
        AuditAction.HEARING_SELF_TESTED,
        actor_id=user.id,
        actor_role=role,
        tribunal_id=hearing.tribunal_id,
        subject_type="hearing",
        subject_id=hearing.id,
        case_id=hearing.filing_id,
        participant=key,
        result=result.value,
        reason=kept_reason.value if kept_reason else None,
    )
    return test
