"""Crash recovery: which raw postings still wait for the pipeline, and since when

- `raw_postings.pending_since`: set when a fetch stores a posting to process, cleared when
  the posting is published; a value older than the sweep's timeout means a crash (a killed
  worker, a failed chunk) left it mid-pipeline, and the sweep drives it on;
- `raw_postings.sweep_attempts`: how many times the sweep took it (it gives up after a few).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("raw_postings", sa.Column("pending_since", sa.DateTime(timezone=True)))
    op.add_column("raw_postings", sa.Column("sweep_attempts", sa.SmallInteger(), nullable=False,
                                            server_default="0"))
    # Partial: the sweep reads the few pending rows, never the whole table.
    op.create_index("ix_raw_postings_pending", "raw_postings", ["pending_since"],
                    postgresql_where=sa.text("pending_since is not null"))
    # What an earlier crash left unfinished is pending from now on.
    op.execute(
        "update raw_postings r set pending_since = now() where not exists "
        "(select 1 from postings p where p.id = r.id and p.step = 'publish')"
    )


def downgrade() -> None:
    op.drop_index("ix_raw_postings_pending", table_name="raw_postings")
    op.drop_column("raw_postings", "sweep_attempts")
    op.drop_column("raw_postings", "pending_since")
