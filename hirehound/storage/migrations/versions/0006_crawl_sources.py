"""Crawl registry: sources crawled on a cadence, which postings each lists, host politeness

- `crawl_sources`: one row per board or page the crawler visits (cadence, state, validators);
- `source_listings`: which raw postings a source listed at its last complete crawl, and how many
  complete crawls in a row missed each (a posting closes after enough misses);
- `crawl_hosts`: the earliest time the next request to a host may start, shared by all workers;
- `dead_letters.target`: the board, URL or file a letter came from (failed targets have no posting);
- an index for expiry by `last_seen_at` (a posting lives while its source lists it).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crawl_sources",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False, unique=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("organization_hint", sa.Text()),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default="true"),
        sa.Column("disabled_reason", sa.Text()),
        sa.Column("every_s", sa.Integer(), nullable=False, server_default="3600"),
        sa.Column("min_interval_s", sa.Float(), nullable=False, server_default="1.0"),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("claimed_until", sa.DateTime(timezone=True)),
        sa.Column("claimed_by", sa.Text()),
        sa.Column("last_crawl_at", sa.DateTime(timezone=True)),
        sa.Column("last_success_at", sa.DateTime(timezone=True)),
        sa.Column("last_status", sa.Text()),
        sa.Column("last_error", sa.Text()),
        sa.Column("last_counts", JSONB(), nullable=False,
                  server_default="{}"),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("etag", sa.Text()),
        sa.Column("last_modified", sa.Text()),
        sa.Column("postings_seen", sa.Integer()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    op.create_index("ix_crawl_sources_due", "crawl_sources", ["next_due_at"],
                    postgresql_where=sa.text("enabled"))
    op.create_table(
        "source_listings",
        sa.Column("source_id", sa.BigInteger(),
                  sa.ForeignKey("crawl_sources.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("raw_posting_id", sa.BigInteger(),
                  sa.ForeignKey("raw_postings.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("missed", sa.SmallInteger(), nullable=False, server_default="0"),
    )
    op.create_index("ix_source_listings_raw_posting_id", "source_listings", ["raw_posting_id"])
    op.create_table(
        "crawl_hosts",
        sa.Column("host", sa.Text(), primary_key=True),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    op.add_column("dead_letters", sa.Column("target", sa.Text()))
    # Expiry now goes by when a fetch last saw a posting, not by its posted date.
    op.create_index("ix_postings_status_last_seen", "postings", ["status", "last_seen_at"])
    # The flow run that created an organization (its new-organizations event names only its
    # own), and a lease so one organization is enriched by one run at a time.
    op.add_column("organizations", sa.Column("created_by_run", sa.Text()))
    op.add_column("organizations",
                  sa.Column("enrich_claimed_until", sa.DateTime(timezone=True)))
    op.create_index("ix_organizations_created_by_run", "organizations", ["created_by_run"])


def downgrade() -> None:
    op.drop_index("ix_organizations_created_by_run", table_name="organizations")
    op.drop_column("organizations", "enrich_claimed_until")
    op.drop_column("organizations", "created_by_run")
    op.drop_index("ix_postings_status_last_seen", table_name="postings")
    op.drop_column("dead_letters", "target")
    op.drop_table("crawl_hosts")
    op.drop_index("ix_source_listings_raw_posting_id", table_name="source_listings")
    op.drop_table("source_listings")
    op.drop_index("ix_crawl_sources_due", table_name="crawl_sources")
    op.drop_table("crawl_sources")
