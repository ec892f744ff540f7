"""Organizations: name normalization, hot-path matching for ingestion, export."""

from hirehound.orgs._match import match_or_create
from hirehound.orgs._normalize import name_key, normalize_domain, normalize_name

__all__ = ["match_or_create", "name_key", "normalize_domain", "normalize_name"]
