"""The reference dataset shipped with the project (SEC and YC rows; see data/README.md)."""

from __future__ import annotations

import functools
import gzip
import json
import logging
from importlib import resources
from typing import Any

from hirehound.enrichment._registry import EnrichmentAdapter, register
from hirehound.enrichment._sources import OrgQuery, SourceResult
from hirehound.orgs import name_key

log = logging.getLogger(__name__)

# Words a listing adds to the brand ("Amazon.com Inc" -> "amazon com"): dropped for the loose key.
_LOOSE_DROP = {"com", "holdings", "holding", "group", "international", "intl", "global", "plc"}


def loose_key(normalized: str) -> str:
    words = normalized.split()
    while len(words) > 1 and words[-1] in _LOOSE_DROP:
        words.pop()
    return name_key(" ".join(words))


@functools.cache
def _index() -> tuple[
    dict[str, list[dict[str, Any]]],
    dict[str, list[dict[str, Any]]],
    dict[str, list[dict[str, Any]]],
]:
    by_key: dict[str, list[dict[str, Any]]] = {}
    by_loose: dict[str, list[dict[str, Any]]] = {}
    by_domain: dict[str, list[dict[str, Any]]] = {}
    path = resources.files("hirehound.enrichment") / "data" / "organizations.jsonl.gz"
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            by_key.setdefault(row["key"], []).append(row)
            by_loose.setdefault(loose_key(row["key"]), []).append(row)
            if row.get("domain"):
                by_domain.setdefault(row["domain"], []).append(row)
    log.debug("reference: %d keys", len(by_key))
    return by_key, by_loose, by_domain


def reference_rows(normalized_name: str, domain: str | None = None) -> list[dict[str, Any]]:
    """Reference rows for an organization: by domain, else exact key, else loose key."""
    by_key, by_loose, by_domain = _index()
    if domain and domain in by_domain:
        return by_domain[domain]
    return by_key.get(normalized_name) or by_loose.get(loose_key(normalized_name)) or []


class ReferenceSource:
    """Local lookups in the shipped dataset: no network, no breaker, no rate limit."""

    name = "reference"
    remote = False

    def breaker_key(self, org: OrgQuery) -> str | None:
        return None

    def lookup(self, org: OrgQuery) -> SourceResult | None:
        rows = reference_rows(org.normalized_name, org.domain)
        if not rows:
            return None
        fields: dict[str, Any] = {}
        # YC rows carry descriptions and HQ; SEC rows carry the listing. Both may apply.
        for row in sorted(rows, key=lambda r: r["source"] != "yc"):
            for key in (
                "description",
                "category",
                "founded_year",
                "hq_city",
                "hq_region",
                "hq_country",
                "domain",
                "ticker",
                "exchange",
                "public",
            ):
                if row.get(key) is not None:
                    fields.setdefault(key, row[key])
            fields.setdefault("legal_name", row["name"])
            if row.get("yc"):
                fields["yc"] = True
        if fields.get("domain"):
            fields.setdefault("website", f"https://{fields['domain']}")
        return SourceResult(self.name, fields)


# A static snapshot: the last word on every field (rank 4).
register(EnrichmentAdapter(
    name=ReferenceSource.name,
    build=lambda _client, _creds: ReferenceSource(),
    fields=("description", "category", "founded_year", "hq_city", "hq_region", "hq_country",
            "domain", "website", "ticker", "exchange", "public", "legal_name", "yc"),
    rank=4,
    local=True,
))
