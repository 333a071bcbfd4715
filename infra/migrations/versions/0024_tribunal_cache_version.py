"""A version stamp per tribunal, bumped by the database whenever what workers keep in memory
for the tribunal changes: its case types, its staff, its staff's names

Revision ID: 0024_tribunal_cache_version
Revises: 0023_text_messages
Create Date: 2026-12-05 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_tribunal_cache_version"
down_revision: str | None = "0023_text_messages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables whose rows, by their tribunal_id, feed a tribunal's cached values.
BUMPING_TABLES = ("case_type_versions", "memberships")
BUMP = "UPDATE tribunals SET cache_version = cache_version + 1 WHERE id = {row}.tribunal_id"
# An account's name is shown in its tribunals' choices (the docket's adjudicators).
BUMP_MEMBERS = (
    "UPDATE tribunals SET cache_version = cache_version + 1 "
    "WHERE id IN (SELECT tribunal_id FROM memberships WHERE user_id = NEW.id)"
)


def upgrade() -> None:
    with op.batch_alter_table("tribunals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cache_version", sa.BigInteger(), server_default="0", nullable=False)
        )
    # Triggers rather than application code: every write counts, whichever statement, worker
    # or cascade makes it, in the same transaction as the change.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION tribunal_cache_bump() RETURNS trigger AS $$
            BEGIN
                IF TG_OP <> 'INSERT' THEN {BUMP.format(row="OLD")}; END IF;
                IF TG_OP <> 'DELETE' THEN {BUMP.format(row="NEW")}; END IF;
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            f"""
            CREATE FUNCTION tribunal_cache_bump_members() RETURNS trigger AS $$
            BEGIN
                {BUMP_MEMBERS};
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table in BUMPING_TABLES:
            op.execute(
                f"""
                CREATE TRIGGER {table}_cache_bump AFTER INSERT OR UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION tribunal_cache_bump()
                """
            )
        op.execute(
            """
            CREATE TRIGGER users_cache_bump AFTER UPDATE OF name ON users
            FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
            EXECUTE FUNCTION tribunal_cache_bump_members()
            """
        )
        return
    # SQLite: a trigger per operation, each bumping the tribunal of the rows it sees.
    rows_of = {"insert": ("NEW",), "update": ("OLD", "NEW"), "delete": ("OLD",)}
    for table in BUMPING_TABLES:
        for operation, rows in rows_of.items():
            bumps = " ".join(f"{BUMP.format(row=row)};" for row in rows)
            op.execute(
                f"CREATE TRIGGER {table}_cache_bump_{operation} "
                f"AFTER {operation.upper()} ON {table} BEGIN {bumps} END"
            )
    op.execute(
        f"""
        CREATE TRIGGER users_cache_bump AFTER UPDATE OF name ON users
        FOR EACH ROW WHEN OLD.name IS NOT NEW.name
        BEGIN {BUMP_MEMBERS}; END
        """
    )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        for table in (*BUMPING_TABLES, "users"):
            op.execute(f"DROP TRIGGER {table}_cache_bump ON {table}")
        op.execute("DROP FUNCTION tribunal_cache_bump()")
        op.execute("DROP FUNCTION tribunal_cache_bump_members()")
    else:
        for table in BUMPING_TABLES:
            for operation in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_cache_bump_{operation}")
        op.execute("DROP TRIGGER users_cache_bump")
    with op.batch_alter_table("tribunals", schema=None) as batch_op:
        batch_op.drop_column("cache_version")
