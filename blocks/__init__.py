"""Prefect blocks the flows read: shared configuration and secrets, edited in the UI.

Load a block inside the task or flow that uses it (`HirehoundDatabase.load("hirehound")`),
never pass a live block between tasks. `hirehound setup` registers the types and creates
the documents named below.
"""

from blocks._hirehound import (
    ALERT_BLOCK,
    DATABASE_BLOCK,
    EMBEDDING_BLOCK,
    SECRET_BLOCKS,
    EmbeddingProvider,
    HirehoundDatabase,
    load_settings,
)

__all__ = [
    "ALERT_BLOCK",
    "DATABASE_BLOCK",
    "EMBEDDING_BLOCK",
    "SECRET_BLOCKS",
    "EmbeddingProvider",
    "HirehoundDatabase",
    "load_settings",
]
