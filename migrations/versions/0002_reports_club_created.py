"""reports: index on (club_id, created_at) for a club's latest report

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_reports_club_created", "reports", ["club_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_reports_club_created", table_name="reports")
