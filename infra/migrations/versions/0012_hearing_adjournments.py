"""Hearings: the coded reason of an adjournment and the reasons given for the last change

Revision ID: 0012_hearing_adjournments
Revises: 0011_user_time_zone
Create Date: 2026-12-03 19:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_hearing_adjournments"
down_revision: str | None = "0011_user_time_zone"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hearings") as batch:
        batch.add_column(
            sa.Column(
                "adjournment_reason",
                sa.Enum(
                    "no_interpreter",
                    "party_unavailable",
                    "evidence_outstanding",
                    "adjudicator_unavailable",
                    "other",
                    name="adjournmentreason",
                    native_enum=False,
                    length=32,
                ),
                nullable=True,
            )
        )
        batch.add_column(sa.Column("status_reason", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("hearings") as batch:
        batch.drop_column("status_reason")
        batch.drop_column("adjournment_reason")
