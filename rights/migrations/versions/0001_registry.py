"""The first registry schema: owners, twins and their folders, consents, licences, the ledger.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "owners",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200)),
        sa.Column("contact", sa.String(200)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("erased_at", sa.DateTime()),
    )
    op.create_table(
        "twins",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("owner_id", sa.String(36), sa.ForeignKey("owners.id"), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("erased_at", sa.DateTime()),
    )
    op.create_table(
        "twin_folders",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("twin_id", sa.String(36), sa.ForeignKey("twins.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("twin_id", sa.String(36), sa.ForeignKey("twins.id"), nullable=False, index=True),
        sa.Column("uses", sa.JSON, nullable=False),
        sa.Column("territories", sa.JSON, nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("min_fee_per_image", sa.Integer, nullable=False),
        sa.Column("min_fee_per_day", sa.Integer, nullable=False),
        sa.Column("terms", sa.Text, nullable=False),
        sa.Column("document_sha256", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "licences",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("twin_id", sa.String(36), sa.ForeignKey("twins.id"), nullable=False, index=True),
        sa.Column("consent_id", sa.Integer, sa.ForeignKey("consents.id"), nullable=False),
        sa.Column("licensee", sa.String(200), nullable=False, index=True),
        sa.Column("uses", sa.JSON, nullable=False),
        sa.Column("territories", sa.JSON, nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("fee_per_image", sa.Integer, nullable=False),
        sa.Column("fee_per_day", sa.Integer, nullable=False),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime()),
    )
    op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(sa.table("ledger_head", sa.column("id"), sa.column("seq"), sa.column("hash")),
                   [{"id": 1, "seq": 0, "hash": "0" * 64}])
    op.create_table(
        "ledger",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("entry_id", sa.String(36), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("twin_id", sa.String(36), nullable=False, index=True),
        sa.Column("owner_id", sa.String(36), nullable=False, index=True),
        sa.Column("licensee", sa.String(200)),
        sa.Column("use", sa.String(40)),
        sa.Column("licence_id", sa.String(36)),
        sa.Column("currency", sa.String(3)),
        sa.Column("fee", sa.Integer, nullable=False),
        sa.Column("output_sha256", sa.String(64)),
        sa.Column("command", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False, index=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for table in ("ledger", "ledger_head", "licences", "consents", "twin_folders", "twins", "owners"):
        op.drop_table(table)
