"""Prefect blocks the flows read: shared configuration and secrets, edited in the UI.

Load a block inside the task or flow that uses it (`HirehoundSettings.load("hirehound")`),
never pass a live block between tasks. `hirehound setup` registers the types and creates
the documents named below.
"""

from blocks._hirehound import (
    ALERT_BLOCK,
    SECRET_BLOCKS,
    SETTINGS_BLOCK,
    HirehoundSettings,
    load_settings,
)

__all__ = [
    "ALERT_BLOCK",
    "SECRET_BLOCKS",
    "SETTINGS_BLOCK",
    "HirehoundSettings",
    "load_settings",
]
