"""Rate limits: how often something may happen per key (an address, a person, a recipient).

Each time something limited happens, a row is written under the keyed hash of its bucket
and key, so the table holds no email or network address. A limit holds when its bucket
and key already have `count` rows within its window. The emails the platform sends on
someone's request (confirmations, resets, invitations) are limited per recipient and per
sender through `allow_message`.

Two requests at the same instant may both pass a limit that has one place left: the limits
slow abuse down, they are not exact quotas.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Index, String, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from tribune.db import Model, utcnow
from tribune.i18n import gettext as _
from tribune.security import keyed_hash

# Rows are kept this long: no limit's window may be longer.
KEPT_FOR = timedelta(days=1)


class RateEvent(Model):
    """One limited thing that happened, under the keyed hash of its bucket and key."""

    __tablename__ = "rate_events"
    __table_args__ = (Index("ix_rate_events_key_created_at", "key", "created_at"),)

    key: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True)
class Limit:
    """At most `count` events per key of `bucket` within `window`."""

    bucket: str
    count: int
    window: timedelta

    def __post_init__(self) -> None:
        if self.window > KEPT_FOR:
            raise ValueError(f"the window of {self.bucket} is longer than rows are kept")


class LimitReachedError(Exception):
    """A limit holds: nothing was recorded, and the caller must not do the thing."""

    def __init__(self, limit: Limit) -> None:
        super().__init__(limit.bucket)
        self.limit = limit


async def take(db: AsyncSession, secret_key: str, claims: Sequence[tuple[Limit, str]]) -> None:
    """Record one event under every (limit, key), or raise LimitReachedError and record none if
    any of the limits already holds."""
    now = utcnow()
    hashed = [(limit, keyed_hash(secret_key, f"rate:{limit.bucket}", key)) for limit, key in claims]
    for limit, hashed_key in hashed:
        used = await db.execute(
            select(func.count()).where(
                RateEvent.key == hashed_key, RateEvent.created_at > now - limit.window
            )
        )
        if used.scalar_one() >= limit.count:
            raise LimitReachedError(limit)
    for _limit, hashed_key in hashed:
        db.add(RateEvent(key=hashed_key, created_at=now))


async def purge(db: AsyncSession) -> None:
    """Delete the events no limit can count any more."""
    await db.execute(
        delete(RateEvent)
        .where(RateEvent.created_at < utcnow() - KEPT_FOR)
        .execution_options(synchronize_session=False)
    )


# -- emails sent on someone's request -------------------------------------------------------


class MessageKind(enum.Enum):
    """The kinds of email a person can make the platform send to an address."""

    CONFIRMATION = "confirmation"  # a registration's answer, or a new confirmation link
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a kind of message, not a secret)
    EMAIL_CHANGE = "email_change"
    STAFF_INVITATION = "staff_invitation"
    PARTY_INVITATION = "party_invitation"  # a respondent's or representative's access code


MESSAGE_WINDOW = timedelta(hours=1)
MESSAGES_PER_RECIPIENT = 5  # per kind of message
MESSAGES_PER_SENDER = 20  # of every kind together
REGISTRATIONS_PER_ADDRESS = Limit("registrations-per-address", 10, MESSAGE_WINDOW)
_PER_SENDER = Limit("messages-per-sender", MESSAGES_PER_SENDER, MESSAGE_WINDOW)


def _per_recipient(kind: MessageKind) -> Limit:
    return Limit(f"messages-per-recipient:{kind.value}", MESSAGES_PER_RECIPIENT, MESSAGE_WINDOW)


@dataclass(frozen=True)
class Sender:
    """Who asks for a message: a signed-in person, or the network address of a request
    made without signing in."""

    key: str

    @classmethod
    def person(cls, user_id: uuid.UUID) -> Sender:
        return cls(f"person:{user_id}")

    @classmethod
    def address(cls, address: str) -> Sender:
        return cls(f"address:{address}")


class TooManyMessagesError(LimitReachedError):
    """Too many messages of a kind to one address, or from one sender, within the hour."""

    @property
    def to_recipient(self) -> bool:
        return self.limit.bucket.startswith("messages-per-recipient:")

    @property
    def message(self) -> str:
        """What the page says, in the visitor's language."""
        if self.to_recipient:
            return _(
                "We have sent several emails to this address recently. "
                "Wait an hour before asking again."
            )
        return _(
            "You have asked us to send many emails recently. Wait an hour before asking again."
        )


async def allow_message(
    db: AsyncSession, secret_key: str, *, kind: MessageKind, recipient: str, sender: Sender
) -> None:
    """Count a message of `kind` to `recipient` asked for by `sender`, or raise
    TooManyMessagesError (counting nothing) if either already had their share this hour.

    Call it before deciding whether the message goes out at all (whether the address has an
    account, for instance), so that the answer does not tell.
    """
    claims = [(_per_recipient(kind), recipient.strip().lower()), (_PER_SENDER, sender.key)]
    try:
        await take(db, secret_key, claims)
    except LimitReachedError as reached:
        raise TooManyMessagesError(reached.limit) from None
