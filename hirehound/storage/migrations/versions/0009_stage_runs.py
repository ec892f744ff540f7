"""Operator metrics every worker writes, read by `hirehound metrics serve` at scrape time

- `stage_runs`: one row per chunk stage (task run) a flow ran: its stage, concern queue,
  worker, outcome, postings in and out, duration and the time it waited for its slot. The
  exporter's counters and duration histogram are aggregates of it, so they add up over every
  worker of the pool, not only the exporter's process;
- `stage_run_totals`: the same figures summed per (stage, queue, worker, status) for rows
  older than a week, which the workers roll up now and then, so `stage_runs` stays small;
- `rate_limit_stats`: slots taken, waits and denials per concurrency or rate limit (one
  upsert per chunk stage, with what the stage's requests tallied in memory);
- `worker_resources`: each flow-run process's CPU and memory, upserted with its stage rows.

Revision ID: 0009
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
BUCKET_COLUMNS = ("le_0_1", "le_0_5", "le_1", "le_5", "le_10", "le_30", "le_60", "le_300")
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stage_runs",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("stage", sa.Text(), nullable=False),
        sa.Column("queue", sa.Text(), nullable=False),
        sa.Column("worker", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("postings_in", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("postings_out", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("slot_wait_s", sa.Float(), nullable=False, server_default="0"),
        sa.Column("flow_run_id", sa.Text()),
    )
    op.create_index("ix_stage_runs_finished_at", "stage_runs", ["finished_at"])
    op.create_table(
        "stage_run_totals",
        sa.Column("stage", sa.Text(), primary_key=True),
        sa.Column("queue", sa.Text(), primary_key=True),
        sa.Column("worker", sa.Text(), primary_key=True),
        sa.Column("status", sa.Text(), primary_key=True),
        sa.Column("runs", sa.BigInteger(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        # Runs that took at most 0.1, 0.5, 1, 5, 10, 30, 60, 300 s (the histogram's buckets).
        *[sa.Column(c, sa.BigInteger(), nullable=False) for c in BUCKET_COLUMNS],
        sa.Column("postings_in", sa.BigInteger(), nullable=False),
        sa.Column("postings_out", sa.BigInteger(), nullable=False),
        sa.Column("last_finished_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "rate_limit_stats",
        sa.Column("limit_name", sa.Text(), primary_key=True),
        sa.Column("acquired", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("waited", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("wait_seconds", sa.Float(), nullable=False, server_default="0"),
        sa.Column("denied", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    op.create_table(
        "worker_resources",
        sa.Column("worker", sa.Text(), primary_key=True),
        sa.Column("pid", sa.Integer(), primary_key=True),
        sa.Column("cpu_percent", sa.Float(), nullable=False),
        sa.Column("memory_bytes", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("worker_resources")
    op.drop_table("rate_limit_stats")
    op.drop_table("stage_run_totals")
    op.drop_index("ix_stage_runs_finished_at", table_name="stage_runs")
    op.drop_table("stage_runs")
