"""Text messages: the outbox of texts, each person's mobile number with its confirmation
and consent, and the reminders sent

Revision ID: 0023_text_messages
Revises: 0022_feedback
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tribune.db

revision: str = "0023_text_messages"
down_revision: str | None = "0022_feedback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "text_messages",
        sa.Column("to_number", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "kept",
                "sent",
                "delivered",
                "temporary-failure",
                "permanent-failure",
                "technical-failure",
                "refused",
                "cancelled",
                name="textstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("quiet_hours", sa.Boolean(), nullable=False),
        sa.Column("time_zone", sa.String(length=60), nullable=True),
        sa.Column("send_after", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("provider_reference", sa.String(length=64), nullable=True),
        sa.Column("provider_status", sa.String(length=200), nullable=False),
        sa.Column("status_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("throttled", sa.Integer(), nullable=False),
        sa.Column("tribunal_id", sa.Uuid(), nullable=True),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_text_messages")),
    )
    with op.batch_alter_table("text_messages", schema=None) as batch_op:
        batch_op.create_index("ix_text_messages_case", ["case_id", "created_at"], unique=False)
        batch_op.create_index("ix_text_messages_created_at", ["created_at"], unique=False)
        batch_op.create_index(
            "ix_text_messages_provider_reference", ["provider_reference"], unique=False
        )
        batch_op.create_index("ix_text_messages_sent_at", ["sent_at"], unique=False)
        batch_op.create_index("ix_text_messages_to_status", ["to_number", "status"], unique=False)

    op.create_table(
        "mobile_numbers",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("confirmed_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_sent_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("code_expires_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("code_tries", sa.Integer(), nullable=False),
        sa.Column("code_used_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("consented_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "stop_reason",
            sa.Enum(
                "person",
                "texted",
                "opted_out",
                "failed",
                name="stopreason",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_mobile_numbers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mobile_numbers")),
        sa.UniqueConstraint("user_id", name=op.f("uq_mobile_numbers_user_id")),
    )
    with op.batch_alter_table("mobile_numbers", schema=None) as batch_op:
        batch_op.create_index("ix_mobile_numbers_number", ["number"], unique=False)

    op.create_table(
        "text_consent_events",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "consented",
                "stopped",
                "started",
                "opted_out",
                "failed",
                "removed",
                name="consentaction",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum(
                "account", "text", "provider", name="consentchannel", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("occurred_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_text_consent_events_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_text_consent_events")),
    )
    with op.batch_alter_table("text_consent_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_text_consent_events_user", ["user_id", "occurred_at"], unique=False
        )

    op.create_table(
        "text_reminders",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("hearing", "deadline", name="reminderkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("filing_id", sa.Uuid(), nullable=False),
        sa.Column("hearing_id", sa.Uuid(), nullable=True),
        sa.Column("text_message_id", sa.Uuid(), nullable=True),
        sa.Column("days_before", sa.Integer(), nullable=False),
        sa.Column("due_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("starts_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("emailed_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["filing_id"],
            ["filings.id"],
            name=op.f("fk_text_reminders_filing_id_filings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hearing_id"],
            ["hearings.id"],
            name=op.f("fk_text_reminders_hearing_id_hearings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["text_message_id"],
            ["text_messages.id"],
            name=op.f("fk_text_reminders_text_message_id_text_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_text_reminders_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_text_reminders_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_text_reminders")),
        sa.UniqueConstraint("key", name=op.f("uq_text_reminders_key")),
    )
    with op.batch_alter_table("text_reminders", schema=None) as batch_op:
        batch_op.create_index("ix_text_reminders_text_message", ["text_message_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("text_reminders", schema=None) as batch_op:
        batch_op.drop_index("ix_text_reminders_text_message")

    op.drop_table("text_reminders")
    with op.batch_alter_table("text_consent_events", schema=None) as batch_op:
        batch_op.drop_index("ix_text_consent_events_user")

    op.drop_table("text_consent_events")
    with op.batch_alter_table("mobile_numbers", schema=None) as batch_op:
        batch_op.drop_index("ix_mobile_numbers_number")

    op.drop_table("mobile_numbers")
    with op.batch_alter_table("text_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_text_messages_to_status")
        batch_op.drop_index("ix_text_messages_sent_at")
        batch_op.drop_index("ix_text_messages_provider_reference")
        batch_op.drop_index("ix_text_messages_created_at")
        batch_op.drop_index("ix_text_messages_case")

    op.drop_table("text_messages")
