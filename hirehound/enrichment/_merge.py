"""Fan-in: combine what the sources returned, field by field, with a stated precedence.

Precedence (first source with a value wins; the others that disagree are recorded as
conflicts) is declared by each source's registry entry (`rank`, `field_ranks`; see
`_registry.precedence`). As shipped:
- description, logo_url: website > clearbit > crunchbase > reference. An organization's own
  homepage is the freshest self-description and the logo it actually uses.
- everything else (category, employee_count, founded_year, HQ, domain, website):
  clearbit > crunchbase > website > reference. Curated company databases beat page markup,
  which beats a static snapshot.
Values normalized before comparing (case, whitespace, URL scheme/slash); employee counts only
conflict when they fall into different size buckets.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hirehound.enrichment._registry import precedence
from hirehound.enrichment._size import bucket_of
from hirehound.net import url_problem

log = logging.getLogger(__name__)

MERGED_FIELDS = (
    "description", "category", "employee_count", "founded_year", "hq_city", "hq_region",
    "hq_country", "hq_address", "logo_url", "website", "domain", "public", "yc", "ticker",
    "same_as", "icon_urls", "og_image", "legal_name",
)  # fmt: skip


@dataclass(slots=True)
class Merged:
    values: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)
    conflicts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    sources_used: list[str] = field(default_factory=list)
    # URL values refused (not http(s)): {"field", "source", "value", "reason"}.
    dropped: list[dict[str, Any]] = field(default_factory=list)


# Fields holding URLs (or lists of them): only http(s) URLs are kept, see net.safe_http_url.
URL_FIELDS = frozenset({"website", "logo_url", "og_image"})
URL_LIST_FIELDS = frozenset({"same_as", "icon_urls"})


def _http_only(name: str, source: str, value: Any, dropped: list[dict[str, Any]]) -> Any:
    """`value` with its non-http(s) URLs dropped (and noted in `dropped`), or None."""
    if name in URL_FIELDS:
        items, single = [value], True
    elif name in URL_LIST_FIELDS:
        items, single = (value if isinstance(value, list) else [value]), False
    else:
        return value
    kept = []
    for item in items:
        problem = url_problem(item)
        if problem is None:
            kept.append(str(item).strip())
        else:
            dropped.append({"field": name, "source": source, "value": str(item)[:200],
                            "reason": problem})
    if single:
        return kept[0] if kept else None
    return kept or None


def _norm(field_name: str, value: Any) -> Any:
    if field_name == "employee_count":
        return bucket_of(value if isinstance(value, int) else None)
    if isinstance(value, str):
        v = re.sub(r"\s+", " ", value).strip().lower()
        if field_name in ("website", "logo_url", "domain"):
            v = re.sub(r"^https?://(www\.)?", "", v).rstrip("/")
        return v
    if isinstance(value, list):
        return tuple(sorted(str(x) for x in value))
    return value


def merge_results(results: Iterable[Mapping[str, Any] | None]) -> Merged:
    """Merge `{"source": name, "fields": {...}}` dicts (None entries: skipped sources)."""
    by_source: dict[str, dict[str, Any]] = {}
    dropped: list[dict[str, Any]] = []
    for r in results:
        if r and r.get("fields"):
            source = str(r["source"])
            by_source[source] = {
                k: _http_only(k, source, v, dropped) for k, v in dict(r["fields"]).items()
            }
    merged = Merged(sources_used=sorted(by_source), dropped=dropped)
    for d in dropped:
        log.info("enrichment: %s from %s dropped (%s)", d["field"], d["source"], d["reason"])
    for name in MERGED_FIELDS:
        order = precedence(name)
        ranked = [s for s in order if s in by_source] + sorted(
            s for s in by_source if s not in order
        )
        offered = [(s, by_source[s][name]) for s in ranked if by_source[s].get(name) is not None]
        if not offered:
            continue
        winner, value = offered[0]
        merged.values[name] = value
        merged.provenance[name] = {"source": winner}
        differing = [
            {"source": s, "value": v}
            for s, v in offered[1:]
            if _norm(name, v) != _norm(name, value)
        ]
        if differing and name not in ("icon_urls", "same_as"):
            merged.conflicts[name] = [
                {"source": winner, "value": value, "chosen": True},
                *differing,
            ]
    return merged
