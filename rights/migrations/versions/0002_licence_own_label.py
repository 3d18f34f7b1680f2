"""Licences record whether the licensee applies its own AI label (only then may the badge be off).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("licences") as batch:
        batch.add_column(sa.Column("own_label", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("licences") as batch:
        batch.drop_column("own_label")
