"""Filings: case types, filings, documents, case events, reference counters

Revision ID: 0002_filings
Revises: 0001_foundation
Create Date: 2026-11-23 09:14:47.981740
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tribune.db

revision: str = "0002_filings"
down_revision: str | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_types",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_case_types_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_types")),
        sa.UniqueConstraint("tribunal_id", "code", name=op.f("uq_case_types_tribunal_id_code")),
    )
    op.create_table(
        "reference_counters",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_reference_counters_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tribunal_id", "year", name=op.f("pk_reference_counters")),
    )
    op.create_table(
        "case_type_versions",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("case_type_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft", "published", "retired", name="versionstatus", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("title_fr", sa.String(length=200), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("description_fr", sa.Text(), nullable=False),
        sa.Column("eligibility_en", sa.Text(), nullable=False),
        sa.Column("eligibility_fr", sa.Text(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("published_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_type_id"],
            ["case_types.id"],
            name=op.f("fk_case_type_versions_case_type_id_case_types"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_case_type_versions_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_type_versions")),
        sa.UniqueConstraint(
            "case_type_id", "number", name=op.f("uq_case_type_versions_case_type_id_number")
        ),
    )
    with op.batch_alter_table("case_type_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_type_versions_tribunal_status", ["tribunal_id", "status"], unique=False
        )

    op.create_table(
        "filings",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("case_type_version_id", sa.Uuid(), nullable=False),
        sa.Column("filer_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "submitted", name="filingstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("last_step", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=True),
        sa.Column("submitted_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("touched_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reminder_sent_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_type_version_id"],
            ["case_type_versions.id"],
            name=op.f("fk_filings_case_type_version_id_case_type_versions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["filer_id"], ["users.id"], name=op.f("fk_filings_filer_id_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_filings_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_filings")),
        sa.UniqueConstraint(
            "tribunal_id", "reference", name=op.f("uq_filings_tribunal_id_reference")
        ),
    )
    with op.batch_alter_table("filings", schema=None) as batch_op:
        batch_op.create_index("ix_filings_filer_updated", ["filer_id", "updated_at"], unique=False)
        batch_op.create_index("ix_filings_status_touched", ["status", "touched_at"], unique=False)

    op.create_table(
        "case_events",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("filing_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("occurred_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("visible_to_parties", sa.Boolean(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_case_events_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["filing_id"],
            ["filings.id"],
            name=op.f("fk_case_events_filing_id_filings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_case_events_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_events_filing_occurred", ["filing_id", "occurred_at"], unique=False
        )

    op.create_table(
        "documents",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("filing_id", sa.Uuid(), nullable=False),
        sa.Column("slot", sa.String(length=40), nullable=False),
        sa.Column("storage_key", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("uploaded_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["filing_id"],
            ["filings.id"],
            name=op.f("fk_documents_filing_id_filings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_documents_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_documents_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("filing_id", "sha256", name=op.f("uq_documents_filing_id_sha256")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_documents_storage_key")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index("ix_documents_filing_slot", ["filing_id", "slot"], unique=False)

    with op.batch_alter_table("tribunals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("max_file_megabytes", sa.Integer(), server_default="25", nullable=False)
        )
        batch_op.add_column(
            sa.Column("max_case_megabytes", sa.Integer(), server_default="250", nullable=False)
        )
        batch_op.add_column(
            sa.Column("draft_retention_days", sa.Integer(), server_default="60", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("tribunals", schema=None) as batch_op:
        batch_op.drop_column("draft_retention_days")
        batch_op.drop_column("max_case_megabytes")
        batch_op.drop_column("max_file_megabytes")

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_filing_slot")

    op.drop_table("documents")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index("ix_case_events_filing_occurred")

    op.drop_table("case_events")
    with op.batch_alter_table("filings", schema=None) as batch_op:
        batch_op.drop_index("ix_filings_status_touched")
        batch_op.drop_index("ix_filings_filer_updated")

    op.drop_table("filings")
    with op.batch_alter_table("case_type_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_case_type_versions_tribunal_status")

    op.drop_table("case_type_versions")
    op.drop_table("reference_counters")
    op.drop_table("case_types")
