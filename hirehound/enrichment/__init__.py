"""Organization enrichment: sources, circuit breakers, merge, industry, size, logo, dedup.

sources = {n: build_source(n, settings, creds.get(n)) for n in SOURCE_NAMES}
with CircuitBreaker("clearbit", db.transaction).guard():
    result = sources["clearbit"].lookup(load_query(session, org_id))
apply_enrichment(session, org_id, [result.as_dict(), ...], classifier=...)
"""

from hirehound.enrichment._breaker import BreakerPolicy, CircuitBreaker, CircuitOpen, breaker_states
from hirehound.enrichment._build import SOURCE_NAMES, ApiCredentials, build_source, http_client
from hirehound.enrichment._dedup import dedup_organization, find_duplicates, merge_organizations
from hirehound.enrichment._http import BlockedAddress, Fetched, SafeClient, check_url
from hirehound.enrichment._industry import SECTORS, IndustryClassifier, IndustryGuess
from hirehound.enrichment._logo import looks_like_image, pick_logo
from hirehound.enrichment._merge import Merged, merge_results
from hirehound.enrichment._registry import (
    EnrichmentAdapter,
    enrichment_adapters,
    precedence,
    secret_blocks,
    secret_envs,
)
from hirehound.enrichment._size import BUCKETS, bucket_of, bucket_of_label, estimate_bucket
from hirehound.enrichment._sources import EnrichmentSource, OrgQuery, SourceResult, parse_homepage
from hirehound.enrichment._store import (
    Outcome,
    apply_enrichment,
    load_query,
    record_source_failure,
    release_organizations,
    select_organizations,
)

__all__ = [
    "BUCKETS",
    "SECTORS",
    "SOURCE_NAMES",
    "ApiCredentials",
    "BlockedAddress",
    "BreakerPolicy",
    "CircuitBreaker",
    "CircuitOpen",
    "EnrichmentAdapter",
    "EnrichmentSource",
    "Fetched",
    "IndustryClassifier",
    "IndustryGuess",
    "Merged",
    "OrgQuery",
    "Outcome",
    "SafeClient",
    "SourceResult",
    "apply_enrichment",
    "breaker_states",
    "bucket_of",
    "bucket_of_label",
    "build_source",
    "check_url",
    "dedup_organization",
    "enrichment_adapters",
    "estimate_bucket",
    "find_duplicates",
    "http_client",
    "load_query",
    "looks_like_image",
    "merge_organizations",
    "merge_results",
    "parse_homepage",
    "pick_logo",
    "precedence",
    "record_source_failure",
    "release_organizations",
    "secret_blocks",
    "secret_envs",
    "select_organizations",
]
