"""Prefect blocks the flows read: shared configuration and secrets, edited in the UI.

Load a block inside the task or flow that uses it, never pass a live block between tasks.
Flows read the settings block through `flows._runtime.configure(settings_block)` only (their
`settings_block` parameter; every deployment passes `hirehound`). `hirehound setup` registers
the types and creates the documents named below.
"""

from blocks._hirehound import (
    ALERT_BLOCK,
    DATABASE_BLOCK,
    SECRET_BLOCKS,
    SETTINGS_BLOCK,
    HirehoundSettings,
    connector_from_url,
    connector_url,
)

__all__ = [
    "ALERT_BLOCK",
    "DATABASE_BLOCK",
    "SECRET_BLOCKS",
    "SETTINGS_BLOCK",
    "HirehoundSettings",
    "connector_from_url",
    "connector_url",
]
