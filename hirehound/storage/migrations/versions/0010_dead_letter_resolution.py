"""Dead letters that can be worked: who resolved a letter and how, and where it came from

- `resolved_by_run`: the flow run (replay) or `cli` that resolved the letter; `resolution`:
  how (`replayed`, `superseded by letter N`, or the reason an operator gave);
- `updated_at`: when the letter was last written (a replay that fails again bumps `attempts`
  on the open letter and this time instead of writing a second letter);
- `work_queue`: the work queue of the run that wrote it (the `critical` queue alerts);
- an index on the open letters of a posting/target/organization for the writer's upsert, and
  one on `resolved_at` for retention.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("dead_letters", sa.Column("resolved_by_run", sa.Text()))
    op.add_column("dead_letters", sa.Column("resolution", sa.Text()))
    op.add_column("dead_letters", sa.Column("work_queue", sa.Text()))
    op.add_column(
        "dead_letters",
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
    )
    op.create_index(
        "ix_dead_letters_open_step", "dead_letters", ["step", "posting_id"],
        postgresql_where=sa.text("resolved_at is null"),
    )
    op.create_index("ix_dead_letters_resolved_at", "dead_letters", ["resolved_at"])


def downgrade() -> None:
    op.drop_index("ix_dead_letters_resolved_at", table_name="dead_letters")
    op.drop_index("ix_dead_letters_open_step", table_name="dead_letters")
    for column in ("updated_at", "work_queue", "resolution", "resolved_by_run"):
        op.drop_column("dead_letters", column)
