"""Hearings: each participant's check-in at a video hearing's page, and where they stand since
(waiting, admitted, returned to the waiting room, left)

Revision ID: 0017_hearing_checkins
Revises: 0016_attendance
Create Date: 2026-12-03 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tribune.db

revision: str = "0017_hearing_checkins"
# TEMPORARY: 0016_attendance is being written in parallel; point at it when it lands.
down_revision: str | None = "0016_attendance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hearing_checkins",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("hearing_id", sa.Uuid(), nullable=False),
        sa.Column("participant_key", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "waiting",
                "admitted",
                "returned",
                "left",
                name="checkinstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("checked_in_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hearing_id"],
            ["hearings.id"],
            name=op.f("fk_hearing_checkins_hearing_id_hearings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_hearing_checkins_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_hearing_checkins_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hearing_checkins")),
        sa.UniqueConstraint(
            "hearing_id",
            "participant_key",
            name=op.f("uq_hearing_checkins_hearing_id_participant_key"),
        ),
    )


def downgrade() -> None:
    op.drop_table("hearing_checkins")
