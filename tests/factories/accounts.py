"""Factories of people (accounts), and the password they all sign in with."""

from __future__ import annotations

import functools

from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from accounts.passwords import hash_password
from tests.factories import unique
from tribune.db import utcnow

PASSWORD = "correct horse battery staple"


@functools.cache
def _hash(password: str) -> str:
    # A real Argon2id hash, made once per password: hashing costs about 0.1 s.
    return hash_password(password)


async def make_user(
    db: AsyncSession,
    *,
    email: str | None = None,
    name: str = "Jane Doe",
    password: str = PASSWORD,
    language: str = "en",
    confirmed: bool = True,
) -> User:
    user = User(
        email=email or f"{unique('person-')}@example.org",
        name=name,
        password_hash=_hash(password),
        language=language,
        email_confirmed_at=utcnow() if confirmed else None,
    )
    db.add(user)
    await db.commit()
    return user
