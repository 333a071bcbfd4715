"""People and their sessions, single-use links and sign-in attempts."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tribune.db import Model, enum_by_value


class User(Model):
    __tablename__ = "users"

    # Stored lowercased, so uniqueness is case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2), default="en")
    email_confirmed_at: Mapped[datetime | None]
    is_platform_operator: Mapped[bool] = mapped_column(default=False)
    # The last password reset or change: failed sign-ins before it no longer count.
    password_changed_at: Mapped[datetime | None]
    # The IANA zone the person lives in, if they gave one: hearing times are shown in the
    # tribunal's zone, and in this one beside them when it differs.
    time_zone: Mapped[str | None] = mapped_column(String(60))

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None


class UserSession(Model):
    """A signed-in browser. The cookie holds a random token; this row its SHA-256."""

    __tablename__ = "user_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class TokenPurpose(enum.Enum):
    CONFIRM_EMAIL = "confirm_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 (a purpose, not a secret)
    CHANGE_EMAIL = "change_email"


class AccountToken(Model):
    """A single-use link sent by email; only its SHA-256 is kept."""

    __tablename__ = "account_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[TokenPurpose] = mapped_column(enum_by_value(TokenPurpose))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    new_email: Mapped[str | None] = mapped_column(String(320))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class SignInAttempt(Model):
    """One try at signing in, keyed by keyed hashes of the email and the address."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (
        Index("ix_sign_in_attempts_account", "account_key", "created_at"),
        Index("ix_sign_in_attempts_address", "address_key", "created_at"),
    )

    account_key: Mapped[str] = mapped_column(String(64))
    address_key: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool]
