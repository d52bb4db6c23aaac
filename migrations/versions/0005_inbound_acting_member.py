"""inbound_messages.acting_member_id: the member a USSD form speaks for, stored with the form

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_messages") as batch:
        batch.add_column(sa.Column("acting_member_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_inbound_messages_acting_member_id_members", "members", ["acting_member_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("inbound_messages") as batch:
        batch.drop_constraint("fk_inbound_messages_acting_member_id_members", type_="foreignkey")
        batch.drop_column("acting_member_id")
