"""One-time access codes that let a person take their place in a case: a respondent or a
representative joining, a claimant claiming a paper filing.

A code is 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L, U), shown grouped
as ABCD-EFGH-JKLM so it can be read off a letter and typed back. Only its SHA-256 is stored,
on the party, with an expiry; it is found by that hash (a unique column) and cleared once used.

Every code is redeemed the same way, whichever page it is typed on (/join or /claim): the code
says which party it opens. Wrong codes are counted in the audit log under one action, so a
person has one allowance of guesses an hour, whichever page they guess on.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings.models import CaseParty, Filing, PartyRole
from tribunals.models import Tribunal
from tribune import audit
from tribune.audit import AuditAction
from tribune.db import utcnow

ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
CODE_LENGTH = 12
# Wrong codes a person may enter in an hour, on /join and /claim together, before every code
# (even the right one) is refused until the hour has passed.
MAX_FAILURES_PER_HOUR = 10
FAILED_ACTION = AuditAction.CASE_ACCESS_CODE_FAILED


def new_access_code() -> str:
    """Return a fresh code, grouped by four for reading aloud or copying."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_access_code(typed: str) -> str:
    """Return a typed code without spaces, dashes or case differences."""
    return "".join(char for char in typed.upper() if char.isalnum())


def hash_access_code(code: str) -> str:
    """Return the SHA-256 (hex) of the normalised code: only this is stored."""
    return hashlib.sha256(normalise_access_code(code).encode()).hexdigest()


# A claimant without email gets a code by post to claim their paper filing online.
CLAIM_CODE_LIFETIME = timedelta(days=90)


def issue_claim_code(party: CaseParty, now: datetime | None = None) -> str:
    """Give a paper filing's claimant a new code to claim the case (replacing any earlier one)."""
    return issue_access_code(party, CLAIM_CODE_LIFETIME, now)


def issue_access_code(party: CaseParty, lifetime: timedelta, now: datetime | None = None) -> str:
    """Give the party a new code (any earlier one stops working); return it, to send once."""
    code = new_access_code()
    party.access_code_hash = hash_access_code(code)
    party.access_code_expires_at = (now or utcnow()) + lifetime
    return code


# -- redeeming a code -----------------------------------------------------------------------


async def failures_last_hour(db: AsyncSession, user_id: uuid.UUID) -> int:
    """Return how many wrong codes a person entered in the last hour, in any tribunal."""
    since = utcnow() - timedelta(hours=1)
    count = await db.scalar(
        select(func.count())
        .select_from(audit.AuditEvent)
        .where(
            audit.AuditEvent.action == FAILED_ACTION,
            audit.AuditEvent.actor_id == user_id,
            audit.AuditEvent.occurred_at >= since,
        )
    )
    return int(count or 0)


def record_failure(db: AsyncSession, tribunal: Tribunal, user: User) -> None:
    """Count a wrong code against the person (the caller must commit it even if the page fails:
    the count is what stops guessing)."""
    audit.record(db, FAILED_ACTION, actor_id=user.id, actor_role="visitor", tribunal_id=tribunal.id)


async def find_party(
    db: AsyncSession, tribunal: Tribunal, reference: str, code: str
) -> tuple[Filing, CaseParty] | None:
    """Return the case and party (any role) this reference and code open, or None whatever is
    wrong: unknown, expired or used code, another case's reference, a draft, a claimant who
    claimed the case already."""
    reference = reference.strip().upper()
    if not reference or len(normalise_access_code(code)) != CODE_LENGTH:
        return None
    digest = hash_access_code(code)
    row = (
        await db.execute(
            select(Filing, CaseParty)
            .join(CaseParty, CaseParty.filing_id == Filing.id)
            .where(
                CaseParty.access_code_hash == digest,
                CaseParty.tribunal_id == tribunal.id,
                Filing.tribunal_id == tribunal.id,
            )
        )
    ).first()
    if row is None:
        return None
    filing, party = row
    # The lookup is by hash; the comparisons that decide take the same time whatever matches.
    if not hmac.compare_digest(party.access_code_hash or "", digest):
        return None
    if not hmac.compare_digest((filing.reference or "").upper().encode(), reference.encode()):
        return None
    expires = party.access_code_expires_at
    if expires is None or expires <= utcnow():
        return None
    if not filing.status.is_case:
        return None
    if party.role is PartyRole.CLAIMANT and party.user_id is not None:
        return None
    return filing, party


async def holds_other_party(db: AsyncSession, filing: Filing, party: CaseParty, user: User) -> bool:
    """Whether `user` already acts as another party of the case (or filed it)."""
    if filing.filer_id == user.id and party.role is not PartyRole.CLAIMANT:
        return True
    other = await db.scalar(
        select(func.count())
        .select_from(CaseParty)
        .where(
            CaseParty.filing_id == filing.id,
            CaseParty.user_id == user.id,
            CaseParty.id != party.id,
        )
    )
    return bool(other)


async def redeem(
    db: AsyncSession, tribunal: Tribunal, filing: Filing, party: CaseParty, user: User
) -> bool:
    """Make `user` the account acting as `party` (for a claimant, also the case's filer); the
    code is used up. Return False (nothing changed) if someone used the code in the meantime."""
    if party.access_code_hash is None:
        return False
    now = utcnow()
    # Compare-and-set on the code: of two people redeeming it at once, one wins.
    unused = [CaseParty.id == party.id, CaseParty.access_code_hash == party.access_code_hash]
    if party.role is PartyRole.CLAIMANT:
        unused.append(CaseParty.user_id.is_(None))
    used = await db.execute(
        update(CaseParty)
        .where(*unused)
        .values(user_id=user.id, joined_at=now, access_code_hash=None, access_code_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        return False
    party.user_id = user.id
    party.joined_at = now
    party.access_code_hash = None
    party.access_code_expires_at = None
    if party.role is PartyRole.CLAIMANT:
        # A paper filing was held by the clerk who entered it: the claimant takes it over.
        filing.filer_id = user.id
        audit.record(
            db,
            AuditAction.FILING_CLAIMED,
            actor_id=user.id,
            actor_role=party.role.value,
            tribunal_id=tribunal.id,
            subject_type="filing",
            subject_id=filing.id,
        )
    else:
        audit.record(
            db,
            AuditAction.CASE_JOINED,
            actor_id=user.id,
            actor_role=party.role.value,
            tribunal_id=tribunal.id,
            subject_type="case_party",
            subject_id=party.id,
            case_id=filing.id,
        )
    return True
