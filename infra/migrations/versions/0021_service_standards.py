"""Service standards: each tribunal's standards and their versions, the calendar of days
they are counted in, and the quarterly figures published

Revision ID: 0021_service_standards
Revises: 0020_payments
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tribune.db

revision: str = "0021_service_standards"
down_revision: str | None = "0020_payments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What a saved definition and a publication are: the database refuses to change them (the
# keys to people may still be emptied when an account goes).
FROZEN_COLUMNS = {
    "service_standard_versions": (
        "tribunal_id",
        "standard_id",
        "number",
        "name_en",
        "name_fr",
        "description_en",
        "description_fr",
        "start_event",
        "stop_event",
        "pause_event",
        "resume_event",
        "case_type_code",
        "limit_days",
        "unit",
        "target_percent",
        "effective_from",
        "note",
        "created_at",
    ),
    "published_standard_figures": (
        "tribunal_id",
        "fiscal_year",
        "quarter",
        "version",
        "figures",
        "note",
        "published_at",
        "created_at",
    ),
}


def upgrade() -> None:
    op.create_table(
        "service_standards",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_service_standards_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_standards")),
        sa.UniqueConstraint(
            "tribunal_id", "code", name=op.f("uq_service_standards_tribunal_id_code")
        ),
    )
    op.create_table(
        "service_standard_versions",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("standard_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("name_fr", sa.String(length=200), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("description_fr", sa.Text(), nullable=False),
        sa.Column("start_event", sa.String(length=40), nullable=False),
        sa.Column("stop_event", sa.String(length=40), nullable=False),
        sa.Column("pause_event", sa.String(length=40), nullable=True),
        sa.Column("resume_event", sa.String(length=40), nullable=True),
        sa.Column("case_type_code", sa.String(length=40), nullable=True),
        sa.Column("limit_days", sa.Integer(), nullable=False),
        sa.Column(
            "unit",
            sa.Enum(
                "business_days",
                "calendar_days",
                name="clockunit",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("target_percent", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "limit_days >= 1 AND limit_days <= 3650",
            name=op.f("ck_service_standard_versions_limit_days"),
        ),
        sa.CheckConstraint(
            "target_percent >= 1 AND target_percent <= 100",
            name=op.f("ck_service_standard_versions_target_percent"),
        ),
        sa.CheckConstraint(
            "(pause_event IS NULL) = (resume_event IS NULL)",
            name=op.f("ck_service_standard_versions_pause_resume"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_service_standard_versions_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["standard_id"],
            ["service_standards.id"],
            name=op.f("fk_service_standard_versions_standard_id_service_standards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_service_standard_versions_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_standard_versions")),
        sa.UniqueConstraint(
            "standard_id", "number", name=op.f("uq_service_standard_versions_standard_id_number")
        ),
    )
    with op.batch_alter_table("service_standard_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_service_standard_versions_in_force",
            ["standard_id", "effective_from", "number"],
            unique=False,
        )

    op.create_table(
        "published_standard_figures",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("published_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "quarter >= 1 AND quarter <= 4", name=op.f("ck_published_standard_figures_quarter")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_published_standard_figures_version")),
        sa.CheckConstraint(
            "version = 1 OR note <> ''",
            name=op.f("ck_published_standard_figures_correction_note"),
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_published_standard_figures_published_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_published_standard_figures_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_published_standard_figures")),
        sa.UniqueConstraint(
            "tribunal_id",
            "fiscal_year",
            "quarter",
            "version",
            name=op.f("uq_published_standard_figures_tribunal_id_fiscal_year_quarter_version"),
        ),
    )
    op.create_table(
        "standard_days",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("starts_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("day_number", sa.Integer(), nullable=False),
        sa.Column("business_index", sa.Integer(), nullable=False),
        sa.Column("is_business_day", sa.Boolean(), nullable=False),
        sa.Column("province", sa.String(length=2), nullable=False),
        sa.Column("time_zone", sa.String(length=60), nullable=False),
        sa.CheckConstraint("starts_at < ends_at", name=op.f("ck_standard_days_starts_before_end")),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_standard_days_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tribunal_id", "day", name=op.f("pk_standard_days")),
        sa.UniqueConstraint(
            "tribunal_id", "starts_at", name=op.f("uq_standard_days_tribunal_id_starts_at")
        ),
    )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_events_tribunal_kind_occurred",
            ["tribunal_id", "kind", "occurred_at"],
            unique=False,
        )
    _freeze()


def _freeze() -> None:
    """Refuse UPDATE of a definition's or a publication's frozen columns, as the audit log
    refuses every change (0001)."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute(
            """
            CREATE FUNCTION service_standards_frozen() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% rows never change once saved', TG_TABLE_NAME;
            END;
            $$ LANGUAGE plpgsql
            """
        )
    for table, columns in FROZEN_COLUMNS.items():
        listed = ", ".join(columns)
        if postgresql:
            # Fires only when a listed column really changes: an account's removal may still
            # empty created_by_id / published_by_id.
            changed = " OR ".join(
                f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in columns
            )
            if table == "published_standard_figures":
                # json has no equality operator: compare the text.
                changed = changed.replace(
                    "OLD.figures IS DISTINCT FROM NEW.figures",
                    "OLD.figures::text IS DISTINCT FROM NEW.figures::text",
                )
            op.execute(
                f"""
                CREATE TRIGGER {table}_frozen BEFORE UPDATE OF {listed} ON {table}
                FOR EACH ROW WHEN ({changed})
                EXECUTE FUNCTION service_standards_frozen()
                """
            )
        else:
            changed = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in columns)
            op.execute(
                f"""
                CREATE TRIGGER {table}_frozen BEFORE UPDATE OF {listed} ON {table}
                FOR EACH ROW WHEN {changed}
                BEGIN SELECT RAISE(ABORT, '{table} rows never change once saved'); END
                """
            )


def downgrade() -> None:
    for table in FROZEN_COLUMNS:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER {table}_frozen ON {table}")
        else:
            op.execute(f"DROP TRIGGER {table}_frozen")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION service_standards_frozen()")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index("ix_case_events_tribunal_kind_occurred")

    op.drop_table("standard_days")
    op.drop_table("published_standard_figures")
    with op.batch_alter_table("service_standard_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_service_standard_versions_in_force")

    op.drop_table("service_standard_versions")
    op.drop_table("service_standards")
