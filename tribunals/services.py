"""The rules of tribunals: creating them, finding them, their staff and invitations."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from sqlalchemy import and_, bindparam, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User, UserSession
from accounts.services import live_session, normalise_email, token_hash_of, user_by_email
from tribunals.models import ActivePdfPolicy, Membership, Role, StaffInvitation, Tribunal
from tribune import audit, i18n, ratelimits
from tribune.audit import AuditAction
from tribune.db import escape_like, utcnow
from tribune.mail import Outbox
from tribune.security import hash_token, new_token
from tribune.settings import Settings

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$")
# First path segments the platform uses itself; a tribunal may not take them.
RESERVED_SLUGS = frozenset(
    {
        "about",
        "accessibility",
        "account",
        "accounts",
        "admin",
        "api",
        "confirm-email",
        "contact",
        "favicon.ico",
        "feedback",
        "healthz",
        "help",
        "language",
        "my-cases",
        "outbox",
        "password-reset",
        "privacy",
        "readyz",
        "register",
        "robots.txt",
        "sandbox",
        "search",
        "sign-in",
        "sign-out",
        "sign-out-everywhere",
        "signed-out",
        "static",
        "tribunals",
        "webhooks",
        "www",
    }
)
INVITATION_TTL = timedelta(days=7)
MIN_ACCENT_CONTRAST = 4.5


class TribunalError(ValueError):
    """The tribunal described cannot be created; the message says why."""


def _relative_luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_with_white(colour: str) -> float:
    """Return the WCAG contrast ratio of a #rrggbb colour against white text."""
    return 1.05 / (_relative_luminance(colour) + 0.05)


def slug_problem(slug: str) -> str | None:
    if not SLUG_PATTERN.match(slug):
        return "a slug is 2 to 40 lowercase letters, digits and hyphens, starting with a letter"
    if slug in RESERVED_SLUGS:
        return f"{slug!r} is used by the platform itself"
    return None


@dataclass
class TribunalDetails:
    slug: str
    name_en: str
    name_fr: str
    short_name_en: str = ""
    short_name_fr: str = ""
    description_en: str = ""
    description_fr: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    contact_address: str = ""
    time_zone: str = "America/Toronto"
    province: str = "ON"
    default_language: str = "en"
    accent_colour: str = "#1d70b8"


async def create_tribunal(db: AsyncSession, details: TribunalDetails) -> Tribunal:
    """Create a tribunal, or raise TribunalError saying what is wrong with the details."""
    problem = slug_problem(details.slug)
    if problem:
        raise TribunalError(problem)
    if not details.name_en.strip() or not details.name_fr.strip():
        raise TribunalError("a tribunal needs a name in English and in French")
    try:
        ZoneInfo(details.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise TribunalError(f"unknown time zone {details.time_zone!r}") from None
    if details.province not in holidays.country_holidays("CA").subdivisions:
        raise TribunalError(f"unknown province or territory {details.province!r}")
    if details.default_language not in i18n.LANGUAGES:
        raise TribunalError("the default language must be en or fr")
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", details.accent_colour):
        raise TribunalError("the accent colour must look like #1d70b8")
    if contrast_with_white(details.accent_colour) < MIN_ACCENT_CONTRAST:
        raise TribunalError("the accent colour must contrast at least 4.5:1 with white text")
    if await tribunal_by_slug(db, details.slug) is not None:
        raise TribunalError(f"a tribunal already uses the slug {details.slug!r}")
    tribunal = Tribunal(**{**details.__dict__, "accent_colour": details.accent_colour.lower()})
    db.add(tribunal)
    audit.record(
        db,
        AuditAction.TRIBUNAL_CREATED,
        tribunal_id=tribunal.id,
        subject_type="tribunal",
        subject_id=tribunal.id,
    )
    return tribunal


async def tribunal_by_slug(db: AsyncSession, slug: str) -> Tribunal | None:
    """Return the tribunal with this slug, or None if there is none."""
    return (await db.execute(_TRIBUNAL, {"slug": slug})).scalar_one_or_none()


# Built once: every tribunal page runs one of them.
_TRIBUNAL = select(Tribunal).where(Tribunal.slug == bindparam("slug"))
_TRIBUNAL_SESSION_AND_ROLES = (
    select(
        Tribunal,
        UserSession,
        User,
        *(
            exists()
            .where(
                Membership.tribunal_id == Tribunal.id,
                Membership.user_id == User.id,
                Membership.role == role,
            )
            .label(role.value)
            for role in Role
        ),
    )
    .select_from(Tribunal)
    .outerjoin(
        UserSession,
        and_(UserSession.token_hash == bindparam("token_hash"), UserSession.revoked_at.is_(None)),
    )
    .outerjoin(User, User.id == UserSession.user_id)
    .where(Tribunal.slug == bindparam("slug"))
)


@dataclass
class TenantContext:
    """What every tribunal page starts from: the tribunal, and who is asking with their roles
    in it (no one when the session is missing, ended or idle)."""

    tribunal: Tribunal
    session: UserSession | None
    user: User | None
    roles: set[Role]


async def tenant_context(
    db: AsyncSession, settings: Settings, slug: str, token: str | None
) -> TenantContext | None:
    """Return the tribunal with this slug, with the session of the cookie's token, its account
    and the account's roles in the tribunal, in one statement; None when there is no such
    tribunal. Nothing of it is kept between requests: a session signed out or a role removed
    takes effect on the next request."""
    token_hash = token_hash_of(token)
    if token_hash is None:
        tribunal = await tribunal_by_slug(db, slug)
        return None if tribunal is None else TenantContext(tribunal, None, None, set())
    row = (
        await db.execute(_TRIBUNAL_SESSION_AND_ROLES, {"slug": slug, "token_hash": token_hash})
    ).one_or_none()
    if row is None:
        return None
    tribunal, session, user, *held = row
    live = live_session(settings, session, user)
    if live is None:
        return TenantContext(tribunal, None, None, set())
    roles = {role for role, has in zip(Role, held, strict=True) if has}
    return TenantContext(tribunal, live[0], live[1], roles)


def _like_pattern(query: str) -> str:
    return f"%{escape_like(query.lower())}%"


async def search_tribunals(db: AsyncSession, query: str = "") -> list[Tribunal]:
    """Return the tribunals whose name, short name or description matches, in name order."""
    statement = select(Tribunal)
    query = query.strip()[:100]
    if query:
        pattern = _like_pattern(query)
        statement = statement.where(
            or_(
                *(
                    func.lower(column).like(pattern, escape="\\")
                    for column in (
                        Tribunal.name_en,
                        Tribunal.name_fr,
                        Tribunal.short_name_en,
                        Tribunal.short_name_fr,
                        Tribunal.description_en,
                        Tribunal.description_fr,
                        Tribunal.slug,
                    )
                )
            )
        )
    name = Tribunal.name_fr if i18n.get_language() == "fr" else Tribunal.name_en
    return list((await db.execute(statement.order_by(name))).scalars())


async def roles_of(db: AsyncSession, user_id: uuid.UUID, tribunal_id: uuid.UUID) -> set[Role]:
    """Return the roles a person holds in a tribunal (empty for claimants and outsiders)."""
    rows = await db.execute(
        select(Membership.role).where(
            Membership.user_id == user_id, Membership.tribunal_id == tribunal_id
        )
    )
    return set(rows.scalars())


async def workspaces_of(db: AsyncSession, user_id: uuid.UUID) -> list[Tribunal]:
    """Return the tribunals in which a person holds any role."""
    rows = await db.execute(
        select(Tribunal)
        .where(Tribunal.id.in_(select(Membership.tribunal_id).where(Membership.user_id == user_id)))
        .order_by(Tribunal.slug)
    )
    return list(rows.scalars())


@dataclass
class StaffMember:
    user: User
    roles: list[Role]


async def staff_of(db: AsyncSession, tribunal_id: uuid.UUID) -> list[StaffMember]:
    """Return the tribunal's staff with their roles, in name order (one query)."""
    rows = await db.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.tribunal_id == tribunal_id)
        .order_by(User.name, User.id)
    )
    grouped: dict[uuid.UUID, StaffMember] = {}
    for user, role in rows:
        grouped.setdefault(user.id, StaffMember(user, [])).roles.append(role)
    order = list(Role)
    for member in grouped.values():
        member.roles.sort(key=order.index)
    return list(grouped.values())


async def pending_invitations(db: AsyncSession, tribunal_id: uuid.UUID) -> list[StaffInvitation]:
    rows = await db.execute(
        select(StaffInvitation)
        .where(
            StaffInvitation.tribunal_id == tribunal_id,
            StaffInvitation.accepted_at.is_(None),
            StaffInvitation.expires_at > utcnow(),
        )
        .order_by(StaffInvitation.created_at.desc())
    )
    return list(rows.scalars())


async def grant_role(
    db: AsyncSession, tribunal: Tribunal, user: User, role: Role, actor_id: uuid.UUID | None = None
) -> bool:
    """Give a person a role in a tribunal; return False if they already held it."""
    if role in await roles_of(db, user.id, tribunal.id):
        return False
    db.add(Membership(tribunal_id=tribunal.id, user_id=user.id, role=role))
    audit.record(
        db,
        AuditAction.TRIBUNAL_ROLE_GRANTED,
        actor_id=actor_id,
        tribunal_id=tribunal.id,
        subject_type="user",
        subject_id=user.id,
        role=role.value,
    )
    return True


async def invite_staff(
    db: AsyncSession,
    outbox: Outbox,
    tribunal: Tribunal,
    inviter: User,
    email: str,
    role: Role,
    *,
    settings: Settings,
) -> bool:
    """Email an invitation to take a role; return False if that person already holds it.

    Raises TooManyMessagesError if the address or the inviter had too many messages this hour.
    """
    email = normalise_email(email)
    existing = await user_by_email(db, email)
    if existing is not None and role in await roles_of(db, existing.id, tribunal.id):
        return False
    await ratelimits.allow_message(
        db,
        settings.secret_key,
        kind=ratelimits.MessageKind.STAFF_INVITATION,
        recipient=email,
        sender=ratelimits.Sender.person(inviter.id),
    )
    token = new_token()
    invitation = StaffInvitation(
        tribunal_id=tribunal.id,
        email=email,
        role=role,
        token_hash=hash_token(token),
        invited_by_id=inviter.id,
        expires_at=utcnow() + INVITATION_TTL,
    )
    db.add(invitation)
    language = existing.language if existing else tribunal.default_language
    outbox.queue(
        db,
        to=email,
        language=language,
        template="staff_invitation",
        context={
            "tribunal": tribunal,
            "role": role.value,
            "inviter_name": inviter.name,
            "url": outbox.url("tribunals:accept_invitation", tribunal=tribunal.slug)
            + f"?token={token}",
            "register_url": outbox.url("accounts:register"),
        },
        sensitive=True,
        tribunal_id=tribunal.id,
    )
    audit.record(
        db,
        AuditAction.TRIBUNAL_STAFF_INVITED,
        actor_id=inviter.id,
        tribunal_id=tribunal.id,
        subject_type="staff_invitation",
        subject_id=invitation.id,
        role=role.value,
    )
    return True


async def invitation_for(
    db: AsyncSession, tribunal: Tribunal, token: str
) -> StaffInvitation | None:
    """Return the tribunal's open invitation for a token, or None if it is no good."""
    if not token or len(token) > 100:
        return None
    invitation = (
        await db.execute(
            select(StaffInvitation).where(
                StaffInvitation.token_hash == hash_token(token),
                StaffInvitation.tribunal_id == tribunal.id,
            )
        )
    ).scalar_one_or_none()
    if invitation is None or invitation.accepted_at is not None:
        return None
    if invitation.expires_at <= utcnow():
        return None
    return invitation


async def accept_invitation(
    db: AsyncSession, tribunal: Tribunal, invitation: StaffInvitation, user: User
) -> bool:
    """Give the invited role to the signed-in person.

    Return False if the invitation was sent to another address.
    """
    if normalise_email(user.email) != invitation.email:
        return False
    invitation.accepted_at = utcnow()
    await grant_role(db, tribunal, user, invitation.role, actor_id=user.id)
    return True


def show_access_to_parties(
    db: AsyncSession, tribunal: Tribunal, show: bool, *, actor: User
) -> None:
    """Turn on or off the parties' view of which staff roles opened their case (audited)."""
    if tribunal.show_access_to_parties == show:
        return
    tribunal.show_access_to_parties = show
    audit.record(
        db,
        AuditAction.TRIBUNAL_ACCESS_VISIBILITY_CHANGED,
        actor_id=actor.id,
        actor_role="admin",
        tribunal_id=tribunal.id,
        subject_type="tribunal",
        subject_id=tribunal.id,
        shown=show,
    )


def set_active_pdfs(
    db: AsyncSession, tribunal: Tribunal, policy: ActivePdfPolicy, *, actor: User
) -> None:
    """Choose whether uploaded PDFs with JavaScript or launch actions are refused or stored
    with a warning (audited)."""
    if tribunal.active_pdfs is policy:
        return
    tribunal.active_pdfs = policy
    audit.record(
        db,
        AuditAction.TRIBUNAL_ACTIVE_PDFS_CHANGED,
        actor_id=actor.id,
        actor_role="admin",
        tribunal_id=tribunal.id,
        subject_type="tribunal",
        subject_id=tribunal.id,
        policy=policy.value,
    )
