"""Hearings: attendance of video hearings, the joins and leaves delivered (by JaaS's or a
self-hosted Jitsi's signed webhooks, or by the hearing page) and the intervals derived from them

Revision ID: 0016_attendance
Revises: 0015_video_rooms
Create Date: 2026-12-03 20:03:49
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tribune.db

revision: str = "0016_attendance"
down_revision: str | None = "0015_video_rooms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attendance_events",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("hearing_id", sa.Uuid(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "jaas", "self_hosted", "page", name="attendancesource", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "joined",
                "left",
                "hearing_ended",
                name="attendancekind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("participant_key", sa.String(length=250), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("occurred_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hearing_id"],
            ["hearings.id"],
            name=op.f("fk_attendance_events_hearing_id_hearings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_attendance_events_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_events")),
        sa.UniqueConstraint(
            "source", "idempotency_key", name=op.f("uq_attendance_events_source_idempotency_key")
        ),
    )
    with op.batch_alter_table("attendance_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_attendance_events_hearing",
            ["hearing_id", "participant_key", "occurred_at"],
            unique=False,
        )

    op.create_table(
        "attendance_intervals",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("hearing_id", sa.Uuid(), nullable=False),
        sa.Column("participant_key", sa.String(length=250), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "jaas", "self_hosted", "page", name="attendancesource", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("joined_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("left_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "left_at IS NULL OR joined_at <= left_at",
            name=op.f("ck_attendance_intervals_joined_before_left"),
        ),
        sa.ForeignKeyConstraint(
            ["hearing_id"],
            ["hearings.id"],
            name=op.f("fk_attendance_intervals_hearing_id_hearings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_attendance_intervals_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_intervals")),
    )
    with op.batch_alter_table("attendance_intervals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_attendance_intervals_hearing", ["hearing_id", "participant_key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("attendance_intervals", schema=None) as batch_op:
        batch_op.drop_index("ix_attendance_intervals_hearing")

    op.drop_table("attendance_intervals")
    with op.batch_alter_table("attendance_events", schema=None) as batch_op:
        batch_op.drop_index("ix_attendance_events_hearing")

    op.drop_table("attendance_events")
