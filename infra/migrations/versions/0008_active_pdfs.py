"""Active PDFs: a tribunal's choice for PDFs with JavaScript or launch actions, and the flag

`tribunals.active_pdfs` says whether such a PDF is refused or stored ("flag", the default);
`documents.active_content` marks one stored, so that pages listing it warn its readers.

Revision ID: 0008_active_pdfs
Revises: 0007_rate_events
Create Date: 2026-12-03 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_active_pdfs"
down_revision: str | None = "0007_rate_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild on SQLite), as in 0004.
    op.add_column(
        "tribunals",
        sa.Column(
            "active_pdfs",
            sa.Enum("flag", "refuse", name="activepdfpolicy", native_enum=False, length=32),
            server_default="flag",
            nullable=False,
        ),
    )
    op.add_column(
        "documents",
        sa.Column("active_content", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("active_content")
    with op.batch_alter_table("tribunals") as batch:
        batch.drop_column("active_pdfs")
