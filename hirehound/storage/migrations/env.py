"""Alembic environment: runs on the connection handed over by hirehound.storage.migrate."""

from __future__ import annotations

from alembic import context

from hirehound.storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("run migrations with `hirehound db upgrade`")

context.configure(connection=connection, target_metadata=Base.metadata, compare_type=False)
with context.begin_transaction():
    context.run_migrations()
