"""The enrichment source registry: each source declares itself once, next to its code.

An `EnrichmentAdapter` says how to build the source, which fields it provides, where it
stands in the merge's precedence, and which Prefect Secret block (and environment variable,
for `hirehound setup`) holds its API key. `_build`, `_merge`, the enrichment tasks and setup
read these instead of keeping lists of their own, so a new source is one module (plus its
test) that calls `register`; modules of this package that are not plumbing are scanned.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from hirehound._plugins import PluginRegistry

if TYPE_CHECKING:
    from hirehound.enrichment._http import SafeClient
    from hirehound.enrichment._sources import EnrichmentSource

# Modules of this package that hold no source (never scanned: some import this one).
_PLUMBING = frozenset({
    "_registry", "_build", "_breaker", "_http", "_merge", "_store", "_dedup", "_industry",
    "_size", "_logo",
})


@dataclass(frozen=True, slots=True)
class ApiCredentials:
    """An API key and, optionally, a base URL (a self-hosted proxy, or a test server)."""

    api_key: str
    base_url: str | None = None


@dataclass(frozen=True)
class EnrichmentAdapter:
    """One enrichment source as the rest of the code sees it.

    `build(client, credentials)` makes the source (None: it needs credentials nobody set);
    `rank`: its place in the merge (lower wins) for every field, `field_ranks` overriding it
    per field; `secret` / `secret_env`: the Secret block with its key and the environment
    variable `hirehound setup` fills that block from (None for sources without a key).
    """

    name: str
    build: Callable[[SafeClient, ApiCredentials | None], EnrichmentSource | None]
    fields: tuple[str, ...]
    rank: int
    field_ranks: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    secret: str | None = None
    secret_env: str | None = None
    # Needs no HTTP client (local data): built without one.
    local: bool = False

    def rank_for(self, field_name: str) -> int:
        return self.field_ranks.get(field_name, self.rank)


_REGISTRY: PluginRegistry[EnrichmentAdapter] = PluginRegistry(
    "hirehound.enrichment", _PLUMBING, key=lambda a: a.name, what="enrichment source")
register = _REGISTRY.register


def _precedence(adapter: EnrichmentAdapter) -> tuple[int, str]:
    return adapter.rank, adapter.name


def enrichment_adapters() -> tuple[EnrichmentAdapter, ...]:
    """Every registered source, in default precedence order."""
    return _REGISTRY.sorted(_precedence)


def source_names() -> tuple[str, ...]:
    """Names of the registered sources, sources without credentials first."""
    return tuple(a.name for a in sorted(enrichment_adapters(),
                                        key=lambda a: (a.secret is not None, a.rank)))


def get_adapter(name: str) -> EnrichmentAdapter:
    """The adapter called `name`; ValueError naming the known ones otherwise."""
    adapter = _REGISTRY.get(name)
    if adapter is None:
        raise ValueError(
            f"unknown enrichment source {name!r}; known: {', '.join(source_names())}"
        )
    return adapter


def precedence(field_name: str) -> tuple[str, ...]:
    """Source names in the order the merge prefers them for `field_name`."""
    return tuple(a.name for a in sorted(enrichment_adapters(),
                                        key=lambda a: (a.rank_for(field_name), a.name)))


def secret_blocks() -> dict[str, str]:
    """Source name -> the Secret block holding its API key (sources that need one)."""
    return {a.name: a.secret for a in enrichment_adapters() if a.secret}


def secret_envs() -> dict[str, str]:
    """Secret block name -> the environment variable `hirehound setup` fills it from."""
    return {a.secret: a.secret_env for a in enrichment_adapters() if a.secret and a.secret_env}
