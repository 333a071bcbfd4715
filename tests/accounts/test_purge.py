"""Account rows that can no longer count are deleted by a recurring job, a day after."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.jobs import PURGE_EXPIRED
from accounts.models import AccountToken, SignInAttempt, TokenPurpose, UserSession
from tests.factories.accounts import make_user
from tribune import jobs
from tribune.db import Database, utcnow
from tribune.jobs import Worker
from tribune.ratelimits import RateEvent
from tribune.settings import Settings


async def test_dead_sessions_links_and_attempts_are_purged_live_ones_kept(
    db: AsyncSession, database: Database, settings: Settings
) -> None:
    now = utcnow()
    user = await make_user(db)
    old = now - timedelta(days=2)
    idle = timedelta(minutes=settings.session_idle_minutes)

    def session(name: str, **times: object) -> UserSession:
        values = {"last_seen_at": now, "expires_at": now + timedelta(hours=8), **times}
        return UserSession(user_id=user.id, token_hash=name.ljust(64, "0"), **values)

    db.add_all(
        [
            session("live"),
            session("expired", expires_at=old),
            session("ended", revoked_at=old),
            session("idle", last_seen_at=old - idle),
            # Ended an hour ago: still within the day kept for matching logs.
            session("recent", revoked_at=now - timedelta(hours=1)),
        ]
    )
    for name, expires, used in [
        ("live", now + timedelta(hours=1), None),
        ("expired", old, None),
        ("used", now + timedelta(hours=1), old),
    ]:
        db.add(
            AccountToken(
                user_id=user.id,
                purpose=TokenPurpose.RESET_PASSWORD,
                token_hash=name.ljust(64, "1"),
                expires_at=expires,
                used_at=used,
            )
        )
    db.add(SignInAttempt(account_key="a" * 64, address_key="b" * 64, succeeded=False))
    db.add(
        SignInAttempt(account_key="c" * 64, address_key="d" * 64, succeeded=False, created_at=old)
    )
    # A successful sign-in makes its address known to the account for ninety days.
    db.add(
        SignInAttempt(account_key="e" * 64, address_key="f" * 64, succeeded=True, created_at=old)
    )
    db.add(
        SignInAttempt(
            account_key="g" * 64,
            address_key="h" * 64,
            succeeded=True,
            created_at=now - timedelta(days=91),
        )
    )
    # Rate-limit events: kept a day, longer than any limit counts.
    db.add(RateEvent(key="live".ljust(64, "2")))
    db.add(RateEvent(key="old".ljust(64, "2"), created_at=old))
    await db.commit()

    jobs.enqueue(db, PURGE_EXPIRED, {})
    await db.commit()
    await Worker(database, settings).run_until_idle()

    db.expire_all()
    sessions = {row.token_hash.rstrip("0") for row in (await db.scalars(select(UserSession)))}
    assert sessions == {"live", "recent"}
    tokens = {row.token_hash.rstrip("1") for row in (await db.scalars(select(AccountToken)))}
    assert tokens == {"live"}
    attempts = {row.account_key for row in (await db.scalars(select(SignInAttempt)))}
    assert attempts == {"a" * 64, "e" * 64}
    events = {row.key.rstrip("2") for row in (await db.scalars(select(RateEvent)))}
    assert events == {"live"}
