"""Password hashing (Argon2id) and the rules a new password must meet."""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

import anyio
import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tribune.i18n import gettext as _

MINIMUM_LENGTH = 12
MAXIMUM_LENGTH = 256
COMMON_PASSWORDS = Path(__file__).resolve().parent / "data" / "common-passwords.txt.gz"

# argon2-cffi's defaults are Argon2id with RFC 9106's low-memory profile.
_hasher = PasswordHasher()
# Verified against when the email is unknown, so a miss costs as long as a hit.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")
# Argon2 takes about a tenth of a second of CPU and its memory cost (64 MiB) per hash:
# request code hashes in worker threads so the event loop keeps serving, and this bounds
# how many hashes run at once, so a burst of sign-ins can take neither every thread of
# the pool nor all the memory.
HASHING_THREADS = 2
_hashing_limiter = anyio.CapacityLimiter(HASHING_THREADS)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Return True if the password matches; costs the same when there is no account."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Cheap (it reads the parameters in the hash), so it needs no worker thread."""
    return _hasher.check_needs_rehash(password_hash)


async def hash_password_async(password: str) -> str:
    """`hash_password` in a worker thread: what code running in the event loop calls."""
    return await anyio.to_thread.run_sync(hash_password, password, limiter=_hashing_limiter)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    """`verify_password` in a worker thread: what code running in the event loop calls."""
    return await anyio.to_thread.run_sync(
        verify_password, password_hash, password, limiter=_hashing_limiter
    )


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())


def _core(password: str) -> str:
    """Return the password without the digits and symbols people add to a common one."""
    return password.lower().rstrip("0123456789!@#$%^&*?.-_ ")


def password_problem(password: str, email: str = "") -> str | None:
    """Return what is wrong with a new password, or None if it is acceptable."""
    if len(password) < MINIMUM_LENGTH:
        return _("Your password must be at least %(n)s characters long", n=MINIMUM_LENGTH)
    if len(password) > MAXIMUM_LENGTH:
        return _("Your password must be %(n)s characters or fewer", n=MAXIMUM_LENGTH)
    lowered = password.lower()
    local_part = email.split("@")[0].lower()
    if email and (email.lower() in lowered or (len(local_part) >= 4 and local_part in lowered)):
        return _("Your password must not contain your email address")
    common = common_passwords()
    if lowered in common or _core(password) in common:
        return _("This password is too common. Choose one that is harder to guess")
    if len(set(lowered)) < 4:
        return _("Your password must not repeat the same few characters")
    return None
