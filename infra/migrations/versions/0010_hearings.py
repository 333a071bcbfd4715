"""Hearings: the hearing of a case, the quarter hours it books for its adjudicator,
interpreter and room (unique per resource: no double booking), and the days parties
cannot attend

Revision ID: 0010_hearings
Revises: 0009_hearing_calendars
Create Date: 2026-12-03 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tribune.db

revision: str = "0010_hearings"
down_revision: str | None = "0009_hearing_calendars"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hearings",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("filing_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "mode",
            sa.Enum(
                "video", "telephone", "in_person", name="hearingmode", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("adjudicator_id", sa.Uuid(), nullable=False),
        sa.Column("interpreter_id", sa.Uuid(), nullable=True),
        sa.Column("language", sa.String(length=10), nullable=True),
        sa.Column("room_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "held",
                "adjourned",
                "cancelled",
                name="hearingstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("calendar_uid", sa.String(length=200), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "mode <> 'in_person' OR room_id IS NOT NULL", name=op.f("ck_hearings_room_in_person")
        ),
        sa.CheckConstraint(
            "(interpreter_id IS NULL) = (language IS NULL)",
            name=op.f("ck_hearings_interpreter_language"),
        ),
        sa.CheckConstraint("sequence >= 0", name=op.f("ck_hearings_sequence")),
        sa.CheckConstraint("starts_at < ends_at", name=op.f("ck_hearings_starts_before_end")),
        sa.ForeignKeyConstraint(
            ["adjudicator_id"],
            ["users.id"],
            name=op.f("fk_hearings_adjudicator_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_hearings_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["filing_id"],
            ["filings.id"],
            name=op.f("fk_hearings_filing_id_filings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["interpreter_id"],
            ["interpreters.id"],
            name=op.f("fk_hearings_interpreter_id_interpreters"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["hearing_rooms.id"],
            name=op.f("fk_hearings_room_id_hearing_rooms"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_hearings_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hearings")),
        sa.UniqueConstraint("calendar_uid", name=op.f("uq_hearings_calendar_uid")),
    )
    with op.batch_alter_table("hearings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_hearings_adjudicator", ["adjudicator_id", "starts_at"], unique=False
        )
        batch_op.create_index("ix_hearings_filing", ["filing_id", "starts_at"], unique=False)
        batch_op.create_index(
            "ix_hearings_tribunal_starts", ["tribunal_id", "starts_at"], unique=False
        )

    op.create_table(
        "hearing_blocks",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("hearing_id", sa.Uuid(), nullable=False),
        sa.Column(
            "resource_kind",
            sa.Enum(
                "adjudicator",
                "interpreter",
                "room",
                name="resourcekind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hearing_id"],
            ["hearings.id"],
            name=op.f("fk_hearing_blocks_hearing_id_hearings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_hearing_blocks_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hearing_blocks")),
        sa.UniqueConstraint(
            "resource_id", "starts_at", name=op.f("uq_hearing_blocks_resource_id_starts_at")
        ),
    )
    with op.batch_alter_table("hearing_blocks", schema=None) as batch_op:
        batch_op.create_index("ix_hearing_blocks_hearing", ["hearing_id"], unique=False)
        batch_op.create_index(
            "ix_hearing_blocks_tribunal_starts", ["tribunal_id", "starts_at"], unique=False
        )

    op.create_table(
        "party_unavailability",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("filing_id", sa.Uuid(), nullable=False),
        sa.Column("party_id", sa.Uuid(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "first_day <= last_day", name=op.f("ck_party_unavailability_first_before_last")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_party_unavailability_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["filing_id"],
            ["filings.id"],
            name=op.f("fk_party_unavailability_filing_id_filings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["case_parties.id"],
            name=op.f("fk_party_unavailability_party_id_case_parties"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_party_unavailability_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_unavailability")),
    )
    with op.batch_alter_table("party_unavailability", schema=None) as batch_op:
        batch_op.create_index(
            "ix_party_unavailability_filing", ["filing_id", "first_day"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("party_unavailability", schema=None) as batch_op:
        batch_op.drop_index("ix_party_unavailability_filing")

    op.drop_table("party_unavailability")
    with op.batch_alter_table("hearing_blocks", schema=None) as batch_op:
        batch_op.drop_index("ix_hearing_blocks_tribunal_starts")
        batch_op.drop_index("ix_hearing_blocks_hearing")

    op.drop_table("hearing_blocks")
    with op.batch_alter_table("hearings", schema=None) as batch_op:
        batch_op.drop_index("ix_hearings_tribunal_starts")
        batch_op.drop_index("ix_hearings_filing")
        batch_op.drop_index("ix_hearings_adjudicator")

    op.drop_table("hearings")
