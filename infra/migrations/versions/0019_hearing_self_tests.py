"""Hearings: each participant's last self-test of their camera, microphone and sound before a
video hearing (passed, failed with a reason, or skipped)

Revision ID: 0019_hearing_self_tests
Revises: 0018_hearing_sessions
Create Date: 2026-12-04 04:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tribune.db

revision: str = "0019_hearing_self_tests"
down_revision: str | None = "0018_hearing_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hearing_self_tests",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("hearing_id", sa.Uuid(), nullable=False),
        sa.Column("participant_key", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column(
            "result",
            sa.Enum(
                "passed",
                "failed",
                "skipped",
                name="selftestresult",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "reason",
            sa.Enum(
                "camera_denied",
                "microphone_denied",
                "no_camera",
                "no_microphone",
                "no_sound",
                "browser_unsupported",
                "other",
                name="selftestreason",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("tested_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hearing_id"],
            ["hearings.id"],
            name=op.f("fk_hearing_self_tests_hearing_id_hearings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_hearing_self_tests_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_hearing_self_tests_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hearing_self_tests")),
        sa.UniqueConstraint(
            "hearing_id",
            "participant_key",
            name=op.f("uq_hearing_self_tests_hearing_id_participant_key"),
        ),
    )


def downgrade() -> None:
    op.drop_table("hearing_self_tests")
