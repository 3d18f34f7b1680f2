"""Ledger rows record the territories the output is for (as the request stated them).

Rows written before this revision keep NULL there; their hash never covered territories, so
``ledger.row_hash`` leaves the field out of the hashed payload exactly when it is NULL.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ledger") as batch:
        batch.add_column(sa.Column("territories", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("ledger") as batch:
        batch.drop_column("territories")
