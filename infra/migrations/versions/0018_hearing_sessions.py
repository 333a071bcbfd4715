"""Hearings: when a video hearing was started and ended from the adjudicator's console

Revision ID: 0018_hearing_sessions
Revises: 0017_hearing_checkins
Create Date: 2026-12-03 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tribune.db

revision: str = "0018_hearing_sessions"
down_revision: str | None = "0017_hearing_checkins"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "hearings", sa.Column("started_at", tribune.db.UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "hearings", sa.Column("ended_at", tribune.db.UTCDateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("hearings") as batch:
        batch.drop_column("ended_at")
        batch.drop_column("started_at")
