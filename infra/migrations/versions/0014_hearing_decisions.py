"""Hearings: the outcome recorded after each hearing, and the decisions and interim orders of a
case (drafts and issued ones, corrections naming what they correct)

Revision ID: 0014_hearing_decisions
Revises: 0013_outbox_calendar
Create Date: 2026-12-04 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tribune.db

revision: str = "0014_hearing_decisions"
down_revision: str | None = "0013_outbox_calendar"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADJOURNMENT_REASONS = (
    "no_interpreter",
    "party_unavailable",
    "evidence_outstanding",
    "adjudicator_unavailable",
    "other",
)
ISSUED = sa.text("status = 'issued'")


def _times() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "hearing_outcomes",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("hearing_id", sa.Uuid(), nullable=False),
        sa.Column("filing_id", sa.Uuid(), nullable=False),
        sa.Column(
            "result",
            sa.Enum("held", "adjourned", name="outcomeresult", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("absent_party_id", sa.Uuid(), nullable=True),
        sa.Column(
            "adjournment_reason",
            sa.Enum(*ADJOURNMENT_REASONS, name="adjournmentreason", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("next_steps", sa.Text(), server_default="", nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        *_times(),
        sa.CheckConstraint(
            "(result = 'adjourned') = (adjournment_reason IS NOT NULL)",
            name=op.f("ck_hearing_outcomes_adjournment_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["absent_party_id"],
            ["case_parties.id"],
            name=op.f("fk_hearing_outcomes_absent_party_id_case_parties"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["filing_id"],
            ["filings.id"],
            name=op.f("fk_hearing_outcomes_filing_id_filings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["hearing_id"],
            ["hearings.id"],
            name=op.f("fk_hearing_outcomes_hearing_id_hearings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_hearing_outcomes_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_hearing_outcomes_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hearing_outcomes")),
        sa.UniqueConstraint("hearing_id", name=op.f("uq_hearing_outcomes_hearing_id")),
    )
    op.create_index("ix_hearing_outcomes_filing", "hearing_outcomes", ["filing_id"], unique=False)

    op.create_table(
        "hearing_decisions",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("filing_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("decision", "interim_order", name="decisionkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("draft", "issued", name="decisionstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("storage_key", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_kind", sa.String(length=10), nullable=False),
        sa.Column("active_content", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("uploaded_by_id", sa.Uuid(), nullable=True),
        sa.Column("issued_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("issued_by_id", sa.Uuid(), nullable=True),
        sa.Column("corrects_id", sa.Uuid(), nullable=True),
        sa.Column("correction_reason", sa.Text(), server_default="", nullable=False),
        *_times(),
        sa.CheckConstraint(
            "(status = 'issued') = (issued_at IS NOT NULL)",
            name=op.f("ck_hearing_decisions_issued_at"),
        ),
        sa.CheckConstraint(
            "corrects_id IS NULL OR correction_reason <> ''",
            name=op.f("ck_hearing_decisions_correction_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["corrects_id"],
            ["hearing_decisions.id"],
            name=op.f("fk_hearing_decisions_corrects_id_hearing_decisions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["filing_id"],
            ["filings.id"],
            name=op.f("fk_hearing_decisions_filing_id_filings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"],
            ["users.id"],
            name=op.f("fk_hearing_decisions_issued_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_hearing_decisions_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_hearing_decisions_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hearing_decisions")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_hearing_decisions_storage_key")),
    )
    op.create_index(
        "ix_hearing_decisions_filing",
        "hearing_decisions",
        ["filing_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_hearing_decisions_corrects", "hearing_decisions", ["corrects_id"], unique=False
    )
    op.create_index(
        "uq_hearing_decisions_issued_correction",
        "hearing_decisions",
        ["corrects_id"],
        unique=True,
        sqlite_where=ISSUED,
        postgresql_where=ISSUED,
    )


def downgrade() -> None:
    op.drop_index("uq_hearing_decisions_issued_correction", table_name="hearing_decisions")
    op.drop_index("ix_hearing_decisions_corrects", table_name="hearing_decisions")
    op.drop_index("ix_hearing_decisions_filing", table_name="hearing_decisions")
    op.drop_table("hearing_decisions")
    op.drop_index("ix_hearing_outcomes_filing", table_name="hearing_outcomes")
    op.drop_table("hearing_outcomes")
