"""Response documents: one copy of a file per filing and one per response

A respondent's documents live in `documents` with `response_id` set. The old rule (one copy of a
file per case) would refuse a respondent's copy of a file the claimant gave, and tell one party
about the other's unfiled documents; uniqueness is now per filing (documents with no response)
and per response.

Revision ID: 0005_response_documents
Revises: 0004_docket
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_response_documents"
down_revision: str | None = "0004_docket"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILING_ONLY = sa.text("response_id IS NULL")


def upgrade() -> None:
    # SQLite cannot drop a constraint declared in CREATE TABLE: batch mode rebuilds the table
    # (nothing refers to documents, so no rows elsewhere are touched).
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_constraint("uq_documents_filing_id_sha256", type_="unique")
    op.create_index(
        "uq_documents_filing_sha256",
        "documents",
        ["filing_id", "sha256"],
        unique=True,
        sqlite_where=FILING_ONLY,
        postgresql_where=FILING_ONLY,
    )
    op.create_index(
        "uq_documents_response_sha256", "documents", ["response_id", "sha256"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_documents_response_sha256", table_name="documents")
    op.drop_index("uq_documents_filing_sha256", table_name="documents")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_documents_filing_id_sha256", ["filing_id", "sha256"])
