"""Docket: case lifecycle columns, parties, notes, responses, audit origin, delivery log

Revision ID: 0004_docket
Revises: 0003_recurring_jobs
Create Date: 2026-11-23 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tribune.db

revision: str = "0004_docket"
down_revision: str | None = "0003_recurring_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
    ]


def _tenant_and_case(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("filing_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f(f"fk_{table}_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["filing_id"],
            ["filings.id"],
            name=op.f(f"fk_{table}_filing_id_filings"),
            ondelete="CASCADE",
        ),
    ]


def _add_reference(table: str, column: str, target: str, ondelete: str) -> None:
    """Add a nullable foreign key column without rebuilding the table.

    SQLite can add a column with a REFERENCES clause, but Alembic would try (and fail) to add
    the constraint separately, and its batch mode rebuilds the table instead.
    """
    name = op.f(f"fk_{table}_{column}_{target}")
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} CHAR(32) "
            f"CONSTRAINT {name} REFERENCES {target} (id) ON DELETE {ondelete}"
        )
    else:
        op.add_column(
            table,
            sa.Column(
                column, sa.Uuid(), sa.ForeignKey(f"{target}.id", name=name, ondelete=ondelete)
            ),
        )


def upgrade() -> None:
    is_postgresql = op.get_bind().dialect.name == "postgresql"

    # Plain ADD COLUMN (no table rebuild on SQLite): the audit table keeps its triggers, and
    # rebuilding filings would cascade deletes to its children.
    op.add_column(
        "tribunals",
        sa.Column("completion_business_days", sa.Integer(), server_default="10", nullable=False),
    )
    op.add_column(
        "tribunals",
        sa.Column("response_business_days", sa.Integer(), server_default="20", nullable=False),
    )
    op.add_column(
        "tribunals",
        sa.Column(
            "show_access_to_parties", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
    )

    _add_reference("filings", "entered_by_id", "users", "SET NULL")
    op.add_column(
        "filings", sa.Column("language", sa.String(length=2), server_default="en", nullable=False)
    )
    _add_reference("filings", "assigned_adjudicator_id", "users", "SET NULL")
    op.add_column(
        "filings",
        sa.Column("status_changed_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column("filings", sa.Column("due_on", sa.Date(), nullable=True))
    op.add_column(
        "filings",
        sa.Column(
            "due_from",
            sa.Enum(
                "claimant", "respondent", "tribunal", name="duefrom", native_enum=False, length=32
            ),
            nullable=True,
        ),
    )
    op.add_column("filings", sa.Column("due_for", sa.String(length=40), nullable=True))
    op.add_column("filings", sa.Column("search_text", sa.Text(), server_default="", nullable=False))
    op.create_index("ix_filings_docket_received", "filings", ["tribunal_id", "submitted_at", "id"])
    op.create_index(
        "ix_filings_docket_status", "filings", ["tribunal_id", "status", "submitted_at", "id"]
    )
    op.create_index("ix_filings_docket_due", "filings", ["tribunal_id", "due_on", "id"])
    op.create_index(
        "ix_filings_docket_adjudicator", "filings", ["tribunal_id", "assigned_adjudicator_id"]
    )
    if is_postgresql:
        # Full-text search of the docket: a stored tsvector kept by PostgreSQL itself.
        op.execute(
            "ALTER TABLE filings ADD COLUMN search_vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED"
        )
        op.execute("CREATE INDEX ix_filings_search_vector ON filings USING gin (search_vector)")

    op.create_table(
        "case_parties",
        *_tenant_and_case("case_parties"),
        sa.Column(
            "role",
            sa.Enum(
                "claimant",
                "respondent",
                "representative",
                name="partyrole",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("is_organisation", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("licence_number", sa.String(length=50), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("joined_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("represents_id", sa.Uuid(), nullable=True),
        sa.Column("authorised_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "authorisation_withdrawn_at", tribune.db.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("access_code_hash", sa.String(length=64), nullable=True),
        sa.Column("access_code_expires_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("added_by_id", sa.Uuid(), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_case_parties_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["users.id"],
            name=op.f("fk_case_parties_added_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["represents_id"],
            ["case_parties.id"],
            name=op.f("fk_case_parties_represents_id_case_parties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_parties")),
        sa.UniqueConstraint("access_code_hash", name=op.f("uq_case_parties_access_code_hash")),
    )
    op.create_index("ix_case_parties_filing", "case_parties", ["filing_id", "created_at"])
    op.create_index("ix_case_parties_user", "case_parties", ["user_id"])

    op.create_table(
        "case_notes",
        *_tenant_and_case("case_notes"),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_case_notes_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_notes")),
    )
    op.create_index("ix_case_notes_filing", "case_notes", ["filing_id", "created_at"])

    op.create_table(
        "case_responses",
        *_tenant_and_case("case_responses"),
        sa.Column("party_id", sa.Uuid(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("submitted_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["case_parties.id"],
            name=op.f("fk_case_responses_party_id_case_parties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_responses")),
        sa.UniqueConstraint("party_id", name=op.f("uq_case_responses_party_id")),
    )
    _add_reference("documents", "response_id", "case_responses", "CASCADE")

    op.add_column("audit_events", sa.Column("actor_role", sa.String(length=30), nullable=True))
    op.add_column("audit_events", sa.Column("case_id", sa.Uuid(), nullable=True))
    op.add_column("audit_events", sa.Column("client_address", sa.String(length=45), nullable=True))
    op.create_index(
        "ix_audit_events_tribunal_actor", "audit_events", ["tribunal_id", "actor_id", "occurred_at"]
    )
    op.create_index(
        "ix_audit_events_tribunal_case", "audit_events", ["tribunal_id", "case_id", "occurred_at"]
    )

    op.add_column("outbox_messages", sa.Column("case_id", sa.Uuid(), nullable=True))
    op.create_index("ix_outbox_messages_case", "outbox_messages", ["case_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_messages_case", table_name="outbox_messages")
    op.drop_column("outbox_messages", "case_id")
    op.drop_index("ix_audit_events_tribunal_case", table_name="audit_events")
    op.drop_index("ix_audit_events_tribunal_actor", table_name="audit_events")
    for column in ("client_address", "case_id", "actor_role"):
        op.drop_column("audit_events", column)
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("response_id")
    op.drop_table("case_responses")
    op.drop_table("case_notes")
    op.drop_table("case_parties")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_filings_search_vector")
        op.execute("ALTER TABLE filings DROP COLUMN search_vector")
    for index in (
        "ix_filings_docket_adjudicator",
        "ix_filings_docket_due",
        "ix_filings_docket_status",
        "ix_filings_docket_received",
    ):
        op.drop_index(index, table_name="filings")
    with op.batch_alter_table("filings") as batch:
        for column in (
            "search_text",
            "due_for",
            "due_from",
            "due_on",
            "status_changed_at",
            "assigned_adjudicator_id",
            "language",
            "entered_by_id",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("tribunals") as batch:
        for column in (
            "show_access_to_parties",
            "response_business_days",
            "completion_business_days",
        ):
            batch.drop_column(column)
