"""Recurring jobs: when each recurring kind of job is next due

Revision ID: 0003_recurring_jobs
Revises: 0002_filings
Create Date: 2026-11-23 09:27:57.902926
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tribune.db

revision: str = "0003_recurring_jobs"
down_revision: str | None = "0002_filings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recurring_jobs",
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("next_run_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_enqueued_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_recurring_jobs")),
    )


def downgrade() -> None:
    op.drop_table("recurring_jobs")
