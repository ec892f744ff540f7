"""Storage: PostgreSQL + pgvector through SQLAlchemy 2 (embedded server by default)."""

from hirehound.storage import db
from hirehound.storage.migrate import schema_status, upgrade

__all__ = ["db", "schema_status", "upgrade"]
