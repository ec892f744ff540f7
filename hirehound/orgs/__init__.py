"""Organizations: name normalization, hot-path matching for ingestion, export."""

from hirehound.orgs._export import export_organizations, organization_record
from hirehound.orgs._match import match_or_create
from hirehound.orgs._normalize import name_key, normalize_domain, normalize_name

__all__ = [
    "export_organizations",
    "match_or_create",
    "name_key",
    "normalize_domain",
    "normalize_name",
    "organization_record",
]
