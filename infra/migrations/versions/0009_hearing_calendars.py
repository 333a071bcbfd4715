"""Hearing calendars: hearing settings, hours and durations; interpreters and rooms; the
weekly availability and dated exceptions of adjudicators, interpreters and rooms

Revision ID: 0009_hearing_calendars
Revises: 0008_active_pdfs
Create Date: 2026-12-03 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tribune.db

revision: str = "0009_hearing_calendars"
down_revision: str | None = "0008_active_pdfs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Exactly one of the three resource keys is set on an availability row.
ONE_RESOURCE = (
    "(adjudicator_id IS NOT NULL AND interpreter_id IS NULL AND room_id IS NULL)"
    " OR (adjudicator_id IS NULL AND interpreter_id IS NOT NULL AND room_id IS NULL)"
    " OR (adjudicator_id IS NULL AND interpreter_id IS NULL AND room_id IS NOT NULL)"
)


def upgrade() -> None:
    op.create_table(
        "hearing_hours",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("starts_at", sa.Time(), nullable=False),
        sa.Column("ends_at", sa.Time(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("starts_at < ends_at", name=op.f("ck_hearing_hours_starts_before_end")),
        sa.CheckConstraint("weekday >= 0 AND weekday <= 6", name=op.f("ck_hearing_hours_weekday")),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_hearing_hours_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hearing_hours")),
        sa.UniqueConstraint(
            "tribunal_id", "weekday", name=op.f("uq_hearing_hours_tribunal_id_weekday")
        ),
    )
    op.create_table(
        "hearing_rooms",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("accessibility_notes", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("capacity >= 1", name=op.f("ck_hearing_rooms_capacity")),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_hearing_rooms_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hearing_rooms")),
    )
    with op.batch_alter_table("hearing_rooms", schema=None) as batch_op:
        batch_op.create_index("ix_hearing_rooms_tribunal_id", ["tribunal_id", "name"], unique=False)

    op.create_table(
        "hearing_settings",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("modes", sa.JSON(), nullable=False),
        sa.Column("minimum_notice_business_days", sa.Integer(), nullable=False),
        sa.Column("unavailability_window_days", sa.Integer(), nullable=False),
        sa.Column("dial_in_en", sa.Text(), nullable=False),
        sa.Column("dial_in_fr", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_hearing_settings_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hearing_settings")),
        sa.UniqueConstraint("tribunal_id", name=op.f("uq_hearing_settings_tribunal_id")),
    )
    op.create_table(
        "interpreters",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_interpreters_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interpreters")),
    )
    with op.batch_alter_table("interpreters", schema=None) as batch_op:
        batch_op.create_index("ix_interpreters_tribunal_id", ["tribunal_id", "name"], unique=False)

    op.create_table(
        "availability_exceptions",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("unavailable", "available", name="exceptionkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "reason",
            sa.Enum(
                "leave", "training", "other", name="exceptionreason", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("first_day", sa.Date(), nullable=True),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("starts_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ends_at", tribune.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("adjudicator_id", sa.Uuid(), nullable=True),
        sa.Column("interpreter_id", sa.Uuid(), nullable=True),
        sa.Column("room_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            ONE_RESOURCE,
            name=op.f("ck_availability_exceptions_one_resource"),
        ),
        sa.CheckConstraint(
            (
                "(first_day IS NOT NULL AND last_day IS NOT NULL AND starts_at IS NULL"
                " AND ends_at IS NULL AND first_day <= last_day)"
                " OR (first_day IS NULL AND last_day IS NULL AND starts_at IS NOT NULL"
                " AND ends_at IS NOT NULL AND starts_at < ends_at)"
            ),
            name=op.f("ck_availability_exceptions_days_or_instants"),
        ),
        sa.ForeignKeyConstraint(
            ["adjudicator_id"],
            ["users.id"],
            name=op.f("fk_availability_exceptions_adjudicator_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["interpreter_id"],
            ["interpreters.id"],
            name=op.f("fk_availability_exceptions_interpreter_id_interpreters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["hearing_rooms.id"],
            name=op.f("fk_availability_exceptions_room_id_hearing_rooms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_availability_exceptions_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_availability_exceptions")),
    )
    with op.batch_alter_table("availability_exceptions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_availability_exceptions_adjudicator",
            ["tribunal_id", "adjudicator_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_availability_exceptions_interpreter",
            ["tribunal_id", "interpreter_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_availability_exceptions_room", ["tribunal_id", "room_id"], unique=False
        )

    op.create_table(
        "hearing_durations",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("case_type_id", sa.Uuid(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum(
                "video", "telephone", "in_person", name="hearingmode", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "minutes >= 15 AND minutes <= 480", name=op.f("ck_hearing_durations_minutes")
        ),
        sa.ForeignKeyConstraint(
            ["case_type_id"],
            ["case_types.id"],
            name=op.f("fk_hearing_durations_case_type_id_case_types"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_hearing_durations_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hearing_durations")),
        sa.UniqueConstraint(
            "tribunal_id",
            "case_type_id",
            "mode",
            name=op.f("uq_hearing_durations_tribunal_id_case_type_id_mode"),
        ),
    )
    op.create_table(
        "weekly_availability",
        sa.Column("tribunal_id", sa.Uuid(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("starts_at", sa.Time(), nullable=False),
        sa.Column("ends_at", sa.Time(), nullable=False),
        sa.Column("time_zone", sa.String(length=60), nullable=False),
        sa.Column("adjudicator_id", sa.Uuid(), nullable=True),
        sa.Column("interpreter_id", sa.Uuid(), nullable=True),
        sa.Column("room_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tribune.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            ONE_RESOURCE,
            name=op.f("ck_weekly_availability_one_resource"),
        ),
        sa.CheckConstraint(
            "starts_at < ends_at", name=op.f("ck_weekly_availability_starts_before_end")
        ),
        sa.CheckConstraint(
            "weekday >= 0 AND weekday <= 6", name=op.f("ck_weekly_availability_weekday")
        ),
        sa.ForeignKeyConstraint(
            ["adjudicator_id"],
            ["users.id"],
            name=op.f("fk_weekly_availability_adjudicator_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["interpreter_id"],
            ["interpreters.id"],
            name=op.f("fk_weekly_availability_interpreter_id_interpreters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["hearing_rooms.id"],
            name=op.f("fk_weekly_availability_room_id_hearing_rooms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tribunal_id"],
            ["tribunals.id"],
            name=op.f("fk_weekly_availability_tribunal_id_tribunals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weekly_availability")),
    )
    with op.batch_alter_table("weekly_availability", schema=None) as batch_op:
        batch_op.create_index(
            "ix_weekly_availability_adjudicator", ["tribunal_id", "adjudicator_id"], unique=False
        )
        batch_op.create_index(
            "ix_weekly_availability_interpreter", ["tribunal_id", "interpreter_id"], unique=False
        )
        batch_op.create_index(
            "ix_weekly_availability_room", ["tribunal_id", "room_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("weekly_availability", schema=None) as batch_op:
        batch_op.drop_index("ix_weekly_availability_room")
        batch_op.drop_index("ix_weekly_availability_interpreter")
        batch_op.drop_index("ix_weekly_availability_adjudicator")

    op.drop_table("weekly_availability")
    op.drop_table("hearing_durations")
    with op.batch_alter_table("availability_exceptions", schema=None) as batch_op:
        batch_op.drop_index("ix_availability_exceptions_room")
        batch_op.drop_index("ix_availability_exceptions_interpreter")
        batch_op.drop_index("ix_availability_exceptions_adjudicator")

    op.drop_table("availability_exceptions")
    with op.batch_alter_table("interpreters", schema=None) as batch_op:
        batch_op.drop_index("ix_interpreters_tribunal_id")

    op.drop_table("interpreters")
    op.drop_table("hearing_settings")
    with op.batch_alter_table("hearing_rooms", schema=None) as batch_op:
        batch_op.drop_index("ix_hearing_rooms_tribunal_id")

    op.drop_table("hearing_rooms")
    op.drop_table("hearing_hours")
