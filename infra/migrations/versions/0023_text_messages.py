"""Text messages: the outbox of texts, each person's mobile number with its confirmation
and consent, and the reminders sent

Revision ID: 0023_text_messages
Revises: 0022_feedback
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

revision: str = "0023_text_messages"
down_revision: str | None = "0022_feedback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
