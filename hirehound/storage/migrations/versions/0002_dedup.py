"""Dedup-stage schema (owned by the dedup work)

`dedup_fingerprints` keeps what the pairwise verdict reads of each posting (attribute keys,
MinHash signature), so a candidate found through `dedup_band_keys` is judged from one
primary-key lookup instead of re-cleaning its text.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dedup_fingerprints",
        sa.Column("posting_id", sa.BigInteger(), nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=True),
        sa.Column("company_key", sa.String(), server_default="", nullable=False),
        sa.Column("title_key", sa.String(), server_default="", nullable=False),
        sa.Column(
            "location_keys", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("canonical_url", sa.String(), nullable=True),
        sa.Column("content_hash", sa.String(), nullable=True),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("n_shingles", sa.Integer(), nullable=False),
        sa.Column("truncated", sa.Boolean(), server_default="false", nullable=False),
        sa.ForeignKeyConstraint(["posting_id"], ["postings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("posting_id"),
    )


def downgrade() -> None:
    op.drop_table("dedup_fingerprints")
