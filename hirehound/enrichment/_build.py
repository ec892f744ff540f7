"""Wiring: the configured sources and HTTP clients from settings and credentials."""

from __future__ import annotations

from dataclasses import dataclass

from hirehound.enrichment._http import SafeClient
from hirehound.enrichment._reference import ReferenceSource
from hirehound.enrichment._sources import (
    ClearbitSource,
    CrunchbaseSource,
    EnrichmentSource,
    WebsiteSource,
)
from hirehound.settings import Settings

SOURCE_NAMES = ("website", "reference", "clearbit", "crunchbase")


@dataclass(frozen=True, slots=True)
class ApiCredentials:
    """An API key and, optionally, a base URL (a self-hosted proxy, or a test server)."""

    api_key: str
    base_url: str | None = None


def http_client(
    settings: Settings,
    *,
    timeout: float | None = None,
    attempts: int = 4,
    max_bytes: int = 2_000_000,
) -> SafeClient:
    return SafeClient(
        allow_private=settings.allow_private_addresses,
        timeout=min(settings.http_timeout_s, 15.0) if timeout is None else timeout,
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
    if name == "reference":
        return ReferenceSource()
    client = client or http_client(settings)
    if name == "website":
        return WebsiteSource(client)
    if credentials is None or not credentials.api_key:
        return None
    if name == "clearbit":
        return ClearbitSource(client, credentials.api_key, credentials.base_url)
    if name == "crunchbase":
        return CrunchbaseSource(client, credentials.api_key, credentials.base_url)
    raise ValueError(f"unknown enrichment source {name!r}; known: {', '.join(SOURCE_NAMES)}")
