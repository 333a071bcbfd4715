"""Hearings: each its own video room name, 128 random bits, never derived from the case

Revision ID: 0015_video_rooms
Revises: 0014_hearing_decisions
Create Date: 2026-12-03 20:10:00
"""

import base64
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_video_rooms"
down_revision: str | None = "0014_hearing_decisions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _room() -> str:
    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


def upgrade() -> None:
    with op.batch_alter_table("hearings") as batch:
        batch.add_column(sa.Column("video_room", sa.String(length=64), nullable=True))
    hearings = sa.table("hearings", sa.column("id", sa.Uuid()), sa.column("video_room"))
    connection = op.get_bind()
    for (hearing_id,) in connection.execute(sa.select(hearings.c.id)).all():
        connection.execute(
            hearings.update().where(hearings.c.id == hearing_id).values(video_room=_room())
        )
    with op.batch_alter_table("hearings") as batch:
        batch.alter_column("video_room", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint(op.f("uq_hearings_video_room"), ["video_room"])


def downgrade() -> None:
    with op.batch_alter_table("hearings") as batch:
        batch.drop_constraint(op.f("uq_hearings_video_room"), type_="unique")
        batch.drop_column("video_room")
