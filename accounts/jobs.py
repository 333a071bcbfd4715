"""Recurring account housekeeping: rows that can no longer be used are deleted.

A session that expired, went idle or was ended, a link that expired or was used, and a
failed sign-in older than the throttle's windows can never count again; keeping them would
only keep personal data (keyed hashes, times) longer than its purpose needs. A successful
sign-in is kept while it makes its address known to the account (the throttle spares it).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, delete, or_

from accounts.models import AccountToken, SignInAttempt, UserSession
from accounts.services import ACCOUNT_WINDOW, KNOWN_ADDRESS_PERIOD, THROTTLE_WINDOW
from tribune import jobs, ratelimits
from tribune.db import utcnow

PURGE_EXPIRED = "accounts.purge_expired"
# Rows are kept a day past their use, so that the logs of an incident can still be matched.
GRACE = timedelta(days=1)

jobs.recurring(PURGE_EXPIRED, every=timedelta(hours=6))


@jobs.handler(PURGE_EXPIRED)
async def purge_expired(context: jobs.JobContext) -> None:
    """Delete sessions, single-use links, sign-in attempts and rate-limit events that can no
    longer count."""
    now = utcnow()
    cutoff = now - GRACE
    idle = timedelta(minutes=context.settings.session_idle_minutes)
    await context.db.execute(
        delete(UserSession)
        .where(
            or_(
                UserSession.expires_at < cutoff,
                UserSession.revoked_at < cutoff,
                UserSession.last_seen_at < cutoff - idle,
            )
        )
        .execution_options(synchronize_session=False)
    )
    await context.db.execute(
        delete(AccountToken)
        .where(or_(AccountToken.expires_at < cutoff, AccountToken.used_at < cutoff))
        .execution_options(synchronize_session=False)
    )
    failures_counted = max(THROTTLE_WINDOW, ACCOUNT_WINDOW)
    await context.db.execute(
        delete(SignInAttempt)
        .where(
            or_(
                and_(
                    SignInAttempt.succeeded.is_(False),
                    SignInAttempt.created_at < cutoff - failures_counted,
                ),
                SignInAttempt.created_at < now - KNOWN_ADDRESS_PERIOD,
            )
        )
        .execution_options(synchronize_session=False)
    )
    await ratelimits.purge(context.db)
