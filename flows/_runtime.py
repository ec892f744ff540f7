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
    _connect_through_outage(settings)
    configure_pool(settings.cpu_workers)
    return settings


def _connect_through_outage(settings: Settings) -> None:
    """Connect and migrate, waiting out a database that is away (a restart, a failover) as
    the chunk stages do (`outage_backoff`, HIREHOUND_TIMEOUT_CHUNK_OUTAGE_S in all): a child
    run that starts while PostgreSQL restarts would otherwise fail its whole parent."""
    import random
    import time

    from tasks._retry import RETRY_JITTER, TIMEOUTS, outage_backoff

    delays = outage_backoff(TIMEOUTS.chunk_retry_first_s, TIMEOUTS.chunk_outage_s)
    for attempt in range(len(delays) + 1):
        try:
            db.configure(settings)
            ensure_schema()
            return
        except Exception as exc:
            if attempt == len(delays) or not db.is_outage(exc):
                raise
            time.sleep(delays[attempt] * random.uniform(1 - RETRY_JITTER, 1 + RETRY_JITTER))


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
