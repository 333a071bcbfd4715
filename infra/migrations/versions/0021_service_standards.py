"""Service standards: each tribunal's standards and their versions, the calendar of days
they are counted in, and the quarterly figures published

Revision ID: 0021_service_standards
Revises: 0020_payments
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

revision: str = "0021_service_standards"
down_revision: str | None = "0020_payments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
