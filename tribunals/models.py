"""Tribunals, the staff who work in them, and invitations to join."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from tribune.db import Model, enum_by_value


class ActivePdfPolicy(enum.Enum):
    """What happens to an uploaded PDF with JavaScript or actions that launch programs."""

    FLAG = "flag"  # stored, and shown to those who can open it with a warning
    REFUSE = "refuse"  # refused, with a message saying how to make a plain copy


class Tribunal(Model):
    __tablename__ = "tribunals"

    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_fr: Mapped[str] = mapped_column(String(200))
    short_name_en: Mapped[str] = mapped_column(String(30), default="")
    short_name_fr: Mapped[str] = mapped_column(String(30), default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_fr: Mapped[str] = mapped_column(Text, default="")
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    contact_address: Mapped[str] = mapped_column(Text, default="")
    time_zone: Mapped[str] = mapped_column(String(60), default="America/Toronto")
    province: Mapped[str] = mapped_column(String(2), default="ON")
    default_language: Mapped[str] = mapped_column(String(2), default="en")
    accent_colour: Mapped[str] = mapped_column(String(7), default="#1d70b8")
    # Limits on what filers upload, and how long untouched drafts are kept.
    max_file_megabytes: Mapped[int] = mapped_column(default=25, server_default="25")
    max_case_megabytes: Mapped[int] = mapped_column(default=250, server_default="250")
    draft_retention_days: Mapped[int] = mapped_column(default=60, server_default="60")
    active_pdfs: Mapped[ActivePdfPolicy] = mapped_column(
        enum_by_value(ActivePdfPolicy), default=ActivePdfPolicy.FLAG, server_default="flag"
    )
    # Business days a claimant has to complete a returned filing, and a respondent to respond.
    completion_business_days: Mapped[int] = mapped_column(default=10, server_default="10")
    response_business_days: Mapped[int] = mapped_column(default=20, server_default="20")
    # Whether parties may see which staff roles (never names) opened their case.
    show_access_to_parties: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Bumped by the database itself (triggers, migration 0024) whenever the tribunal's case
    # types, staff or staff's names change: workers keep what they derive from those rows
    # for as long as this stays the same (`tribunals.cache`).
    cache_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    @property
    def reference_prefix(self) -> str:
        """Return the prefix of case references, e.g. WCAT in WCAT-2026-000123."""
        letters = "".join(c for c in self.short_name_en.upper() if c.isascii() and c.isalnum())
        return letters or self.slug.upper().replace("-", "")


class Role(enum.Enum):
    ADMIN = "admin"
    CLERK = "clerk"
    ADJUDICATOR = "adjudicator"


class Membership(Model):
    """One role a person holds in one tribunal (a person may hold several)."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("tribunal_id", "user_id", "role"),
        Index("ix_memberships_user_id", "user_id"),
    )

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(enum_by_value(Role))


class StaffInvitation(Model):
    """An emailed invitation to take a role; only the token's hash is kept."""

    __tablename__ = "staff_invitations"
    __table_args__ = (Index("ix_staff_invitations_tribunal_id", "tribunal_id", "created_at"),)

    tribunal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tribunals.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[Role] = mapped_column(enum_by_value(Role))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
