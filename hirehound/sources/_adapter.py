"""The source registry: every source module declares one `SourceAdapter` and registers it.

Detection (`_detect`), reading (`_read`), the crawl registry and the CLI iterate what is
registered here, so a new source is one module (plus its test) that calls `register`; it is
found by importing every module of this package that is not plumbing (`_PLUMBING`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import httpx

from hirehound._plugins import PluginRegistry
from hirehound.errors import SourceFormatError
from hirehound.records import BadRecord, SourcePosting
from hirehound.settings import Settings

Item = SourcePosting | BadRecord
# Modules of this package that hold no source (imported on their own, never scanned).
_PLUMBING = frozenset({"_adapter", "_common", "_detect", "_demo", "_http", "_read"})


@dataclass(frozen=True)
class Getter:
    """What a multi-request source may call to fetch more: the crawl's own HTTP setup.

    `get(url)` returns the body (bytes); every request passes the caller's rate-limit and
    politeness hook, so pages and per-posting details cost what the board API answers cost.
    `previous()`: the raw payloads (by source id) the board listed at its last crawl, when
    the caller knows them (the crawl does), so details that cannot have changed are reused.
    """

    settings: Settings
    client: httpx.Client | None = None
    before_request: Callable[[str], None] | None = None
    previous: Callable[[], Mapping[str, Any]] | None = None

    def get(self, url: str) -> bytes:
        from hirehound.sources._http import fetch_conditional

        return fetch_conditional(
            url, settings=self.settings, client=self.client, before_request=self.before_request
        ).body


@dataclass(frozen=True)
class SourceAdapter:
    """Everything the rest of the code needs to know about one kind of source.

    - `parse(data, origin=)`: a whole document (board response, page) -> postings; or
      `record(obj)`: one flat record -> a posting (JSON lines / CSV sources).
    - `board_api`: URL template of the public board API, `{board}` replaced by the quoted
      board name: makes `kind:board` a shorthand and the kind crawlable by board name.
    - `page_hosts`: hosts of the ATS's hosted board pages (`jobs.lever.co/<company>`): such a
      page means its board API. `page_board(url)` overrides how the board is read off it.
    - `api_hosts` / `api_path`: an API URL that belongs to this kind (host suffix or path).
    - `sniff(text)`: whether a payload's first bytes (decoded) look like this kind;
      adapters are asked in `order`.
    - `complete(body, url, getter)`: for APIs that page or keep details elsewhere, the whole
      payload from the first response's body (more requests through `getter`).
    - `suffixes`: file (and URL path) endings read as this kind without looking inside.
    """

    kind: str
    parse: Callable[..., Iterator[Item]] | None = None
    record: Callable[[Any], Item] | None = None
    board_api: str | None = None
    page_hosts: frozenset[str] = frozenset()
    page_board: Callable[[str], str | None] | None = None
    api_hosts: tuple[str, ...] = ()
    api_path: re.Pattern[str] | None = None
    sniff: Callable[[str], bool] | None = None
    order: int = 50
    complete: Callable[[bytes, str, Getter], bytes] | None = None
    suffixes: tuple[str, ...] = ()
    # `parse` takes text as it is (HTML, XML); JSON text is still loaded first.
    takes_text: bool = False
    # Columns a CSV of a `record` kind must have.
    columns: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if (self.parse is None) == (self.record is None):
            raise ValueError(f"source {self.kind!r}: give exactly one of parse= or record=")

    @property
    def crawlable(self) -> bool:
        """Whether a board name (`kind:board`) can be crawled: it has a public board API."""
        return self.board_api is not None

    def board_url(self, board: str, *, base_url: str | None = None) -> str:
        """The board API URL (`base_url` replaces scheme and host, for tests)."""
        if self.board_api is None:
            raise SourceFormatError(
                f"{self.kind!r} has no board API (use {', '.join(board_kinds())})"
            )
        board = board.strip().strip("/")
        if not board:
            raise SourceFormatError(f"empty {self.kind} board name")
        url = self.board_api.format(board=quote(unquote(board), safe=""))
        if base_url:
            parts = urlsplit(url)
            url = base_url.rstrip("/") + url[len(f"{parts.scheme}://{parts.netloc}"):]
        return url

    def owns_api_url(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if any(host == h or host.endswith("." + h) for h in self.api_hosts):
            return True
        return bool(self.api_path and self.api_path.search(parts.path))

    def board_of_page(self, url: str) -> str | None:
        """The board a hosted board page shows, or None when `url` is not one of its pages."""
        parts = urlsplit(url)
        if (parts.hostname or "").lower() not in self.page_hosts and self.page_board is None:
            return None
        if self.page_board is not None:
            return self.page_board(url)
        segs = [s for s in parts.path.split("/") if s]
        return segs[0] if len(segs) == 1 else None


_REGISTRY: PluginRegistry[SourceAdapter] = PluginRegistry(
    "hirehound.sources", _PLUMBING, key=lambda a: a.kind, what="source kind")
register = _REGISTRY.register


def _sniffing_order(adapter: SourceAdapter) -> tuple[int, str]:
    return adapter.order, adapter.kind


def adapters() -> tuple[SourceAdapter, ...]:
    """Every registered source, in sniffing order (then by kind)."""
    return _REGISTRY.sorted(_sniffing_order)


def kinds() -> tuple[str, ...]:
    """The registered kinds, in sniffing order."""
    return tuple(a.kind for a in adapters())


def board_kinds() -> tuple[str, ...]:
    """Kinds with a public board API, crawlable by board name (`ashby:cohere`)."""
    return tuple(a.kind for a in adapters() if a.crawlable)


def get(kind: str) -> SourceAdapter:
    """The adapter of `kind`; SourceFormatError naming the known kinds otherwise."""
    adapter = _REGISTRY.get(kind)
    if adapter is None:
        raise SourceFormatError(f"unknown source kind {kind!r}; one of {', '.join(kinds())}")
    return adapter
