"""What every flow does first: validated settings, a database connection, an up-to-date schema."""

from __future__ import annotations

from hirehound.ingest import configure_pool
from hirehound.settings import Settings
from hirehound.storage import db
from hirehound.storage.migrate import ensure_schema


def configure(settings_block: str | None = None) -> Settings:
    """Settings from a `hirehound-settings` block when named, else from the environment."""
    if settings_block:
        from blocks import HirehoundSettings

        block: HirehoundSettings = HirehoundSettings.load(settings_block)  # type: ignore[assignment]
        settings = block.to_settings()
    else:
        settings = Settings()
    db.configure(settings)
    ensure_schema()
    configure_pool(settings.cpu_workers)
    return settings
