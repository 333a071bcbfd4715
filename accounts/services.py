"""The rules of accounts: registration, confirmation, sign-in, sessions, resets, changes.

Services take the database session and never commit; the endpoint does.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import AccountToken, SignInAttempt, TokenPurpose, User, UserSession
from accounts.passwords import hash_password_async, needs_rehash, verify_password_async
from tribune import audit, ratelimits
from tribune.audit import AuditAction
from tribune.db import utcnow
from tribune.i18n import LANGUAGES
from tribune.mail import Outbox
from tribune.security import hash_token, keyed_hash, new_token
from tribune.settings import Settings

CONFIRM_EMAIL_TTL = timedelta(hours=24)
RESET_PASSWORD_TTL = timedelta(hours=1)
# Sign-in throttle: failures of one account from one address, and from one address on any
# account, within THROTTLE_WINDOW; beyond ACCOUNT_FREE_FAILURES failures of one account from
# any address within ACCOUNT_WINDOW, unknown addresses wait a delay that doubles up to
# ACCOUNT_DELAY_CAP. An address the account signed in from within KNOWN_ADDRESS_PERIOD is
# known and never waits for others' failures.
THROTTLE_WINDOW = timedelta(minutes=15)
PAIR_FAILURE_LIMIT = 5
ADDRESS_FAILURE_LIMIT = 20
ACCOUNT_WINDOW = timedelta(hours=24)
ACCOUNT_FREE_FAILURES = 10
ACCOUNT_DELAY_CAP = timedelta(minutes=15)
KNOWN_ADDRESS_PERIOD = timedelta(days=90)
# Write last_seen_at at most this often, not on every page.
SESSION_TOUCH_INTERVAL = timedelta(minutes=1)


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def user_by_email(db: AsyncSession, email: str) -> User | None:
    """Return the account with this email address, or None if there is none."""
    return (
        await db.execute(select(User).where(User.email == normalise_email(email)))
    ).scalar_one_or_none()


def _link(outbox: Outbox, route: str, token: str) -> str:
    return f"{outbox.url(route)}?token={token}"


def issue_token(
    db: AsyncSession,
    user: User,
    purpose: TokenPurpose,
    ttl: timedelta,
    new_email: str | None = None,
) -> str:
    """Return a new single-use token for the user; only its hash is stored."""
    token = new_token()
    db.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=hash_token(token),
            new_email=new_email,
            expires_at=utcnow() + ttl,
        )
    )
    return token


async def valid_token(db: AsyncSession, token: str, purpose: TokenPurpose) -> AccountToken | None:
    """Return the unused, unexpired token record, or None if the link is no good."""
    if not token or len(token) > 100:
        return None
    record = (
        await db.execute(
            select(AccountToken).where(
                AccountToken.token_hash == hash_token(token), AccountToken.purpose == purpose
            )
        )
    ).scalar_one_or_none()
    if record is None or record.used_at is not None or record.expires_at <= utcnow():
        return None
    return record


async def use_token(db: AsyncSession, token: str, purpose: TokenPurpose) -> AccountToken | None:
    """Mark a token used and return it, or None if it was invalid, expired or used.

    The update is conditional, so two simultaneous uses cannot both succeed.
    """
    record = await valid_token(db, token, purpose)
    if record is None:
        return None
    result = await db.execute(
        update(AccountToken)
        .where(AccountToken.id == record.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    record.used_at = utcnow()
    return record


async def register(
    db: AsyncSession,
    outbox: Outbox,
    settings: Settings,
    *,
    name: str,
    email: str,
    password: str,
    language: str,
    address: str,
) -> None:
    """Create an account and send the confirmation link.

    If the address already has an account, its owner gets an email saying so
    instead: the answer on screen is the same, so nobody learns who has one.
    Raises LimitReachedError if the client `address` started too many registrations this hour,
    TooManyMessagesError if the email address or the client had too many messages.
    """
    # Counted before anything else, whatever the address: a refusal tells nothing, and
    # costs no password hashing.
    await ratelimits.take(
        db, settings.secret_key, [(ratelimits.REGISTRATIONS_PER_ADDRESS, address)]
    )
    await ratelimits.allow_message(
        db,
        settings.secret_key,
        kind=ratelimits.MessageKind.CONFIRMATION,
        recipient=email,
        sender=ratelimits.Sender.address(address),
    )
    # The password is hashed on both paths, so that how long the answer takes does not tell
    # whether the address has an account (hashing is nearly all of a registration's time).
    password_hash = await hash_password_async(password)
    existing = await user_by_email(db, email)
    if existing is not None:
        if existing.is_confirmed:
            outbox.queue(
                db,
                to=existing.email,
                language=existing.language,
                template="account_exists",
                context={
                    "name": existing.name,
                    "sign_in_url": outbox.url("accounts:sign_in"),
                    "reset_url": outbox.url("accounts:reset"),
                },
            )
        else:
            await send_confirmation(db, outbox, existing)
        return
    user = User(
        name=name,
        email=normalise_email(email),
        password_hash=password_hash,
        language=language if language in LANGUAGES else "en",
    )
    db.add(user)
    await db.flush()  # the user's row must exist before the rows that refer to it
    audit.record(
        db,
        AuditAction.ACCOUNT_REGISTERED,
        actor_id=user.id,
        subject_type="user",
        subject_id=user.id,
    )
    await send_confirmation(db, outbox, user)


async def resend_confirmation(
    db: AsyncSession, outbox: Outbox, settings: Settings, user: User, *, address: str
) -> None:
    """Send a new confirmation link (an unconfirmed account signing in); raises
    TooManyMessagesError if the address or the client had too many messages this hour."""
    await ratelimits.allow_message(
        db,
        settings.secret_key,
        kind=ratelimits.MessageKind.CONFIRMATION,
        recipient=user.email,
        sender=ratelimits.Sender.address(address),
    )
    await send_confirmation(db, outbox, user)


async def send_confirmation(db: AsyncSession, outbox: Outbox, user: User) -> None:
    token = issue_token(db, user, TokenPurpose.CONFIRM_EMAIL, CONFIRM_EMAIL_TTL)
    outbox.queue(
        db,
        to=user.email,
        language=user.language,
        template="confirm_email",
        context={"name": user.name, "url": _link(outbox, "accounts:confirm_email", token)},
        sensitive=True,
    )


async def confirm_email(db: AsyncSession, token: str) -> User | None:
    """Confirm the address a link was sent to; return the user, or None if the link is no good."""
    record = await use_token(db, token, TokenPurpose.CONFIRM_EMAIL)
    if record is None:
        return None
    user = await db.get_one(User, record.user_id)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        audit.record(
            db,
            AuditAction.ACCOUNT_EMAIL_CONFIRMED,
            actor_id=user.id,
            subject_type="user",
            subject_id=user.id,
        )
    return user


class SignInOutcome(enum.Enum):
    SIGNED_IN = "signed_in"
    WRONG_CREDENTIALS = "wrong_credentials"
    THROTTLED = "throttled"
    UNCONFIRMED = "unconfirmed"


@dataclass
class SignInResult:
    outcome: SignInOutcome
    user: User | None = None
    # When the throttle lets this address try again (THROTTLED only).
    retry_at: datetime | None = None


async def _failures_since(db: AsyncSession, since: datetime, *where: ColumnElement[bool]) -> int:
    count = await db.execute(
        select(func.count()).where(
            *where, SignInAttempt.succeeded.is_(False), SignInAttempt.created_at >= since
        )
    )
    return int(count.scalar_one())


async def _last_attempt(
    db: AsyncSession, *where: ColumnElement[bool], succeeded: bool, since: datetime
) -> datetime | None:
    return (
        await db.execute(
            select(func.max(SignInAttempt.created_at)).where(
                *where, SignInAttempt.succeeded.is_(succeeded), SignInAttempt.created_at >= since
            )
        )
    ).scalar_one_or_none()


async def _nth_latest_failure(
    db: AsyncSession, n: int, since: datetime, *where: ColumnElement[bool]
) -> datetime:
    """Return the time of the n-th most recent failure since `since` (there are n or more):
    once it leaves the window, fewer than n remain."""
    return (
        await db.execute(
            select(SignInAttempt.created_at)
            .where(*where, SignInAttempt.succeeded.is_(False), SignInAttempt.created_at >= since)
            .order_by(SignInAttempt.created_at.desc())
            .offset(n - 1)
            .limit(1)
        )
    ).scalar_one()


def attempt_keys(settings: Settings, email: str, address: str) -> tuple[str, str]:
    """Return the keyed hashes a sign-in attempt is counted under: its account and address."""
    return (
        keyed_hash(settings.secret_key, "sign-in-account", normalise_email(email)),
        keyed_hash(settings.secret_key, "sign-in-address", address),
    )


def account_delay(failures: int) -> timedelta:
    """Return how long tries on an account from unknown addresses wait after its last failure,
    given its failures in the account window: none up to ACCOUNT_FREE_FAILURES, then doubling
    from 2 seconds, up to ACCOUNT_DELAY_CAP."""
    extra = failures - ACCOUNT_FREE_FAILURES
    if extra <= 0:
        return timedelta(0)
    # Capped before raising 2 to a large power.
    return min(timedelta(seconds=2 ** min(extra, 20)), ACCOUNT_DELAY_CAP)


async def _throttled_until(
    db: AsyncSession,
    account_key: str,
    address_key: str,
    cleared_at: datetime | None,
) -> datetime | None:
    """Return when this address may next try this account, or None if it may try now.

    Three counts hold a try back:
    - the address, whatever the accounts it tries (one address spraying many accounts);
    - the account from this address (one address guessing one password);
    - the account from every address (guessing spread over many addresses): a delay that
      grows with the failures, which spares the addresses the owner signed in from before,
      so that nobody else can keep the owner out.
    A password reset or change (`cleared_at`) ends the account's failures before it.
    """
    now = utcnow()
    window_start = now - THROTTLE_WINDOW
    by_address = SignInAttempt.address_key == address_key
    if await _failures_since(db, window_start, by_address) >= ADDRESS_FAILURE_LIMIT:
        failure = await _nth_latest_failure(db, ADDRESS_FAILURE_LIMIT, window_start, by_address)
        return failure + THROTTLE_WINDOW

    by_account = SignInAttempt.account_key == account_key
    account_start = max(window_start, cleared_at) if cleared_at else window_start
    pair = (by_account, by_address)
    pair_success = await _last_attempt(db, *pair, succeeded=True, since=account_start)
    pair_start = max(account_start, pair_success) if pair_success else account_start
    if await _failures_since(db, pair_start, *pair) >= PAIR_FAILURE_LIMIT:
        failure = await _nth_latest_failure(db, PAIR_FAILURE_LIMIT, pair_start, *pair)
        return failure + THROTTLE_WINDOW

    known_since = now - KNOWN_ADDRESS_PERIOD
    if cleared_at is not None:
        known_since = max(known_since, cleared_at)
    if await _last_attempt(db, *pair, succeeded=True, since=known_since) is not None:
        return None  # the owner's own address: never held back by others' failures
    spread_start = now - ACCOUNT_WINDOW
    if cleared_at is not None:
        spread_start = max(spread_start, cleared_at)
    delay = account_delay(await _failures_since(db, spread_start, by_account))
    if not delay:
        return None
    last_failure = await _last_attempt(db, by_account, succeeded=False, since=spread_start)
    if last_failure is None or last_failure + delay <= now:
        return None
    return last_failure + delay


class PasswordCheck(enum.Enum):
    RIGHT = "right"
    WRONG = "wrong"
    THROTTLED = "throttled"


@dataclass
class PasswordCheckResult:
    outcome: PasswordCheck
    # When the throttle lets this address try again (THROTTLED only).
    retry_at: datetime | None = None


async def check_current_password(
    db: AsyncSession, settings: Settings, user: User, password: str, *, address: str
) -> PasswordCheckResult:
    """Check the signed-in person's current password (to change their password or address).

    It counts as a sign-in attempt of the account from that address, under the same throttle:
    a stolen session cannot be used to guess the password faster than the sign-in page allows.
    """
    account_key, address_key = attempt_keys(settings, user.email, address)
    retry_at = await _throttled_until(db, account_key, address_key, user.password_changed_at)
    if retry_at is not None:
        return PasswordCheckResult(PasswordCheck.THROTTLED, retry_at)
    right = await verify_password_async(user.password_hash, password)
    db.add(SignInAttempt(account_key=account_key, address_key=address_key, succeeded=right))
    return PasswordCheckResult(PasswordCheck.RIGHT if right else PasswordCheck.WRONG)


async def sign_in(
    db: AsyncSession, settings: Settings, *, email: str, password: str, address: str
) -> SignInResult:
    """Check a sign-in attempt against the throttle and the password."""
    account_key, address_key = attempt_keys(settings, email, address)
    user = await user_by_email(db, email)
    cleared_at = user.password_changed_at if user else None
    retry_at = await _throttled_until(db, account_key, address_key, cleared_at)
    if retry_at is not None:
        return SignInResult(SignInOutcome.THROTTLED, retry_at=retry_at)
    succeeded = await verify_password_async(user.password_hash if user else None, password)
    db.add(SignInAttempt(account_key=account_key, address_key=address_key, succeeded=succeeded))
    if not succeeded or user is None:
        audit.record(db, AuditAction.ACCOUNT_SIGN_IN_FAILED, actor_id=user.id if user else None)
        return SignInResult(SignInOutcome.WRONG_CREDENTIALS)
    if not user.is_confirmed:
        return SignInResult(SignInOutcome.UNCONFIRMED, user)
    if needs_rehash(user.password_hash):
        user.password_hash = await hash_password_async(password)
    return SignInResult(SignInOutcome.SIGNED_IN, user)


def start_session(db: AsyncSession, settings: Settings, user: User) -> str:
    """Open a new session for the user and return the token for the cookie."""
    token = new_token()
    now = utcnow()
    db.add(
        UserSession(
            user_id=user.id,
            token_hash=hash_token(token),
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_max_hours),
        )
    )
    audit.record(
        db, AuditAction.ACCOUNT_SIGNED_IN, actor_id=user.id, subject_type="user", subject_id=user.id
    )
    return token


# Built once: every signed-in request runs it, and building it costs more than running it.
_LIVE_SESSION = (
    select(UserSession, User)
    .join(User, User.id == UserSession.user_id)
    .where(UserSession.token_hash == bindparam("token_hash"), UserSession.revoked_at.is_(None))
)


def token_hash_of(token: str | None) -> str | None:
    """Return the stored hash of a session cookie's token, or None for no usable token."""
    if not token or len(token) > 100:
        return None
    return hash_token(token)


def live_session(
    settings: Settings, session: UserSession | None, user: User | None
) -> tuple[UserSession, User] | None:
    """Return the session and its user if the session is live, touching it once a minute.

    A session ends at its absolute expiry or after the idle timeout.
    """
    if session is None or user is None:
        return None
    now = utcnow()
    idle_limit = timedelta(minutes=settings.session_idle_minutes)
    if session.expires_at <= now or session.last_seen_at + idle_limit <= now:
        return None
    if now - session.last_seen_at >= SESSION_TOUCH_INTERVAL:
        session.last_seen_at = now
    return session, user


async def load_session(
    db: AsyncSession, settings: Settings, token: str
) -> tuple[UserSession, User] | None:
    """Return the live session and its user for a cookie token, or None."""
    token_hash = token_hash_of(token)
    if token_hash is None:
        return None
    row = (await db.execute(_LIVE_SESSION, {"token_hash": token_hash})).one_or_none()
    if row is None:
        return None
    return live_session(settings, *row)


def end_session(db: AsyncSession, session: UserSession) -> None:
    session.revoked_at = utcnow()
    audit.record(db, AuditAction.ACCOUNT_SIGNED_OUT, actor_id=session.user_id)


async def end_all_sessions(db: AsyncSession, user_id: uuid.UUID) -> None:
    """Sign a person out of every browser."""
    await db.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    audit.record(db, AuditAction.ACCOUNT_SIGNED_OUT_EVERYWHERE, actor_id=user_id)


async def request_password_reset(
    db: AsyncSession, outbox: Outbox, settings: Settings, email: str, *, address: str
) -> None:
    """Send a reset link if the address has an account; say nothing either way.

    Raises TooManyMessagesError if the address, or the client `address`, asked too often this hour:
    counted whether or not the address has an account, so the answer does not tell.
    """
    await ratelimits.allow_message(
        db,
        settings.secret_key,
        kind=ratelimits.MessageKind.PASSWORD_RESET,
        recipient=email,
        sender=ratelimits.Sender.address(address),
    )
    user = await user_by_email(db, email)
    if user is None:
        return
    token = issue_token(db, user, TokenPurpose.RESET_PASSWORD, RESET_PASSWORD_TTL)
    outbox.queue(
        db,
        to=user.email,
        language=user.language,
        template="reset_password",
        context={"name": user.name, "url": _link(outbox, "accounts:reset_new", token)},
        sensitive=True,
    )


async def end_reset_links(db: AsyncSession, user_id: uuid.UUID) -> None:
    """Make every reset link still outstanding for the person unusable: a new password, by a
    reset or a change, must not leave an older link able to set another."""
    await db.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user_id,
            AccountToken.purpose == TokenPurpose.RESET_PASSWORD,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )


async def reset_password(db: AsyncSession, token: str, password: str) -> User | None:
    """Set a new password from a reset link and end every session; None if the link is no good."""
    record = await use_token(db, token, TokenPurpose.RESET_PASSWORD)
    if record is None:
        return None
    user = await db.get_one(User, record.user_id)
    user.password_hash = await hash_password_async(password)
    # Failed sign-ins before the new password no longer hold the account back.
    user.password_changed_at = utcnow()
    # Following the link proves the address, as a confirmation link would.
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    await end_all_sessions(db, user.id)
    await end_reset_links(db, user.id)
    audit.record(
        db,
        AuditAction.ACCOUNT_PASSWORD_RESET,
        actor_id=user.id,
        subject_type="user",
        subject_id=user.id,
    )
    return user


def change_name(db: AsyncSession, user: User, name: str) -> None:
    user.name = name
    audit.record(
        db,
        AuditAction.ACCOUNT_NAME_CHANGED,
        actor_id=user.id,
        subject_type="user",
        subject_id=user.id,
    )


def change_time_zone(db: AsyncSession, user: User, zone: str | None) -> None:
    """Set (or clear, with None) the zone the person lives in; a checked IANA name."""
    if zone == user.time_zone:
        return
    user.time_zone = zone
    audit.record(
        db,
        AuditAction.ACCOUNT_TIME_ZONE_CHANGED,
        actor_id=user.id,
        subject_type="user",
        subject_id=user.id,
        time_zone=zone or "",
    )


def change_language(db: AsyncSession, user: User, language: str) -> None:
    if language in LANGUAGES:
        user.language = language


async def change_password(
    db: AsyncSession, user: User, current_session: UserSession, new_password: str
) -> None:
    """Set a new password, sign out every other browser and end outstanding reset links."""
    user.password_hash = await hash_password_async(new_password)
    user.password_changed_at = utcnow()
    await end_reset_links(db, user.id)
    await db.execute(
        update(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.id != current_session.id,
            UserSession.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    audit.record(
        db,
        AuditAction.ACCOUNT_PASSWORD_CHANGED,
        actor_id=user.id,
        subject_type="user",
        subject_id=user.id,
    )


async def request_email_change(
    db: AsyncSession, outbox: Outbox, settings: Settings, user: User, new_email: str
) -> None:
    """Send a link to the new address; the change happens when it is followed.

    If the new address belongs to another account, nothing is sent there, and
    the screen says the same, so addresses are not revealed. Raises TooManyMessagesError if the
    new address or the person had too many messages this hour (counted either way).
    """
    new_email = normalise_email(new_email)
    await ratelimits.allow_message(
        db,
        settings.secret_key,
        kind=ratelimits.MessageKind.EMAIL_CHANGE,
        recipient=new_email,
        sender=ratelimits.Sender.person(user.id),
    )
    if await user_by_email(db, new_email) is not None:
        return
    token = issue_token(db, user, TokenPurpose.CHANGE_EMAIL, CONFIRM_EMAIL_TTL, new_email)
    outbox.queue(
        db,
        to=new_email,
        language=user.language,
        template="change_email",
        context={"name": user.name, "url": _link(outbox, "accounts:confirm_email_change", token)},
        sensitive=True,
    )


async def confirm_email_change(db: AsyncSession, outbox: Outbox, token: str) -> User | None:
    """Move the account to the new address; None if the link is no good or the address taken."""
    record = await use_token(db, token, TokenPurpose.CHANGE_EMAIL)
    if record is None or record.new_email is None:
        return None
    if await user_by_email(db, record.new_email) is not None:
        return None
    user = await db.get_one(User, record.user_id)
    old_email = user.email
    user.email = record.new_email
    user.email_confirmed_at = utcnow()
    outbox.queue(
        db,
        to=old_email,
        language=user.language,
        template="email_changed",
        context={"name": user.name},
    )
    audit.record(
        db,
        AuditAction.ACCOUNT_EMAIL_CHANGED,
        actor_id=user.id,
        subject_type="user",
        subject_id=user.id,
    )
    return user


async def ensure_user(
    db: AsyncSession,
    *,
    email: str,
    name: str,
    password: str | None,
    language: str = "en",
    platform_operator: bool = False,
) -> User:
    """Return the account for an address, creating it (already confirmed) if there is none.

    For operators' commands and demo data: the operator vouches for the address.
    Without a password the person sets one through the password reset page.
    """
    user = await user_by_email(db, email)
    if user is None:
        user = User(
            email=normalise_email(email),
            name=name,
            password_hash=await hash_password_async(password) if password else "!",
            language=language if language in LANGUAGES else "en",
            email_confirmed_at=utcnow(),
        )
        db.add(user)
        await db.flush()
        audit.record(
            db, AuditAction.ACCOUNT_CREATED_BY_OPERATOR, subject_type="user", subject_id=user.id
        )
    if platform_operator:
        user.is_platform_operator = True
    return user
