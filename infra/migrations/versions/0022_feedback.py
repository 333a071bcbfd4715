"""Feedback on the pages, its answers, and the hearing satisfaction survey

Revision ID: 0022_feedback
Revises: 0021_service_standards
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

revision: str = "0022_feedback"
down_revision: str | None = "0021_service_standards"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
