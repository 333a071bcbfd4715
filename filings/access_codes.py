"""One-time access codes that let a person take their place in a case: a respondent or a
representative joining, a claimant claiming a paper filing.

A code is 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L, U), shown grouped
as ABCD-EFGH-JKLM so it can be read off a letter and typed back. Only its SHA-256 is stored,
on the party, with an expiry; it is found by that hash (a unique column) and cleared once used.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from filings.models import CaseParty
from tribune.db import utcnow

ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
CODE_LENGTH = 12


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


def issue_access_code(party: CaseParty, lifetime: timedelta, now: datetime | None = None) -> str:
    """Give the party a new code (any earlier one stops working); return it, to send once."""
    code = new_access_code()
    party.access_code_hash = hash_access_code(code)
    party.access_code_expires_at = (now or utcnow()) + lifetime
    return code
