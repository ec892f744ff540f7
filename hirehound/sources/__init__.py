"""Source adapters (pipeline step 1): read postings from job boards, pages and files.

Each kind is one module here that registers a `SourceAdapter` (see `_adapter.py`); detection,
reading, the crawl and the CLI iterate the registry.

Every source maps onto `SourcePosting` (the raw record kept in `payload`) or yields a
`BadRecord` for a record it cannot map; a source that cannot be read at all raises
`SourceFormatError` (bad payload, 4xx) or `SourceUnavailable` (network, 5xx, 429).
"""

from __future__ import annotations

from hirehound.sources._adapter import SourceAdapter, adapters, board_kinds, register
from hirehound.sources._adapter import kinds as source_kinds
from hirehound.sources._demo import demo_targets
from hirehound.sources._detect import SourceKind, board_url, detect_kind, read_groups
from hirehound.sources._read import parse_payload, read_postings

__all__ = [
    "SourceAdapter",
    "SourceKind",
    "adapters",
    "board_kinds",
    "board_url",
    "demo_targets",
    "detect_kind",
    "parse_payload",
    "read_groups",
    "read_postings",
    "register",
    "source_kinds",
]
