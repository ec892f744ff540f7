"""Wiring: the configured sources and HTTP clients from settings and credentials."""

from __future__ import annotations

from hirehound.enrichment._http import SafeClient
from hirehound.enrichment._registry import ApiCredentials, get_adapter, source_names
from hirehound.enrichment._sources import EnrichmentSource
from hirehound.settings import Settings

# Every registered source (see _registry): free ones first, then those behind an API key.
SOURCE_NAMES = source_names()
__all__ = ["SOURCE_NAMES", "ApiCredentials", "build_source", "http_client"]


def http_client(
    settings: Settings,
    *,
    timeout: float | None = None,
    attempts: int = 4,
    max_bytes: int = 2_000_000,
) -> SafeClient:
    timeout = min(settings.http_timeout_s, 15.0) if timeout is None else timeout
    return SafeClient(
        allow_private=settings.allow_private_addresses,
        allowed_networks=tuple(settings.allowed_networks),
        timeout=timeout,
        deadline=min(settings.http_deadline_s, 3 * timeout),
        user_agent=settings.user_agent,
        attempts=attempts,
        max_bytes=max_bytes,
    )


def build_source(
    name: str,
    settings: Settings,
    credentials: ApiCredentials | None = None,
    *,
    client: SafeClient | None = None,
) -> EnrichmentSource | None:
    """The source called `name`, or None when it needs credentials nobody configured."""
    adapter = get_adapter(name)
    if adapter.local:
        return adapter.build(client, credentials)  # type: ignore[arg-type]
    return adapter.build(client or http_client(settings), credentials)
