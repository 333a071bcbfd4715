"""Notices of hearing: a calendar part on outbox messages, the times participants were last
told of, and each tribunal's reminder days

Revision ID: 0013_outbox_calendar
Revises: 0012_hearing_adjournments
Create Date: 2026-12-03 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tribune.db

revision: str = "0013_outbox_calendar"
down_revision: str | None = "0012_hearing_adjournments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(sa.Column("calendar", sa.Text(), nullable=True))
        batch.add_column(sa.Column("calendar_method", sa.String(length=20), nullable=True))
    with op.batch_alter_table("hearings") as batch:
        batch.add_column(
            sa.Column("notified_starts_at", tribune.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("notified_ends_at", tribune.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("hearing_settings") as batch:
        batch.add_column(
            sa.Column("reminder_days", sa.JSON(), server_default="[7, 1]", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("hearing_settings") as batch:
        batch.drop_column("reminder_days")
    with op.batch_alter_table("hearings") as batch:
        batch.drop_column("notified_ends_at")
        batch.drop_column("notified_starts_at")
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_column("calendar_method")
        batch.drop_column("calendar")
