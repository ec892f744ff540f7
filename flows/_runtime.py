"""What every flow does first: validated settings, a database connection, an up-to-date schema."""

from __future__ import annotations

from hirehound.errors import ConfigurationError
from hirehound.ingest import configure_pool
from hirehound.settings import Settings
from hirehound.storage import db
from hirehound.storage.migrate import ensure_schema


def configure(settings_block: str | None = None) -> Settings:
    """Settings from the `hirehound-settings` block named `settings_block` (its empty fields
    fall back to the environment), else from the environment alone; then connect, migrate.

    Every flow that touches the database calls this first, with its own `settings_block`
    parameter: a worker then writes where the block says, not to its own embedded database.
    A named block that does not exist is a ConfigurationError, never a silent fallback.
    """
    settings = _block_settings(settings_block) if settings_block else Settings()
    db.configure(settings)
    ensure_schema()
    configure_pool(settings.cpu_workers)
    return settings


def _block_settings(name: str) -> Settings:
    from prefect.exceptions import ObjectNotFound

    from blocks import SETTINGS_BLOCK, HirehoundSettings

    slug = HirehoundSettings.get_block_type_slug()
    try:
        block: HirehoundSettings = HirehoundSettings.load(name)  # type: ignore[assignment]
    except ValueError as exc:
        # Prefect turns a missing document (or block type) into ValueError from ObjectNotFound;
        # any other ValueError (a block that fails validation) stays as it is.
        if not isinstance(exc.__cause__, ObjectNotFound):
            raise
        raise ConfigurationError(
            f"no {slug} block named {name!r} on the Prefect server: `hirehound setup` creates "
            f"{SETTINGS_BLOCK!r} (other names: the UI's Blocks page), or set settings_block to "
            f"null to use the worker's HIREHOUND_* environment"
        ) from None
    return block.to_settings()
