"""`hirehound orgs export --format jsonl`: one JSON object per live organization."""

from __future__ import annotations

import json
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from hirehound.errors import ConfigurationError
from hirehound.net import safe_http_url
from hirehound.storage.models import Organization


def organization_record(org: Organization) -> dict[str, Any]:
    """The export shape of one organization (also what the CLI prints)."""
    return {
        "id": org.id,
        "name": org.name,
        "aliases": list(org.aliases or []),
        "domain": org.domain,
        "industry": org.industry,
        "size": org.size_bucket,
        "employee_count": org.employee_count,
        "founded_year": org.founded_year,
        "hq": {
            "city": org.hq_city,
            "region": org.hq_region,
            "country": org.hq_country,
            "lat": org.hq_lat,
            "lon": org.hq_lon,
        },
        "logo_url": safe_http_url(org.logo_url),  # http(s) only, whatever was stored
        "website": safe_http_url(org.website),
        "description": org.description,
        "sources": org.sources or {},
        "enriched_at": org.enriched_at.isoformat() if org.enriched_at else None,
    }


def export_organizations(session: Session, out: TextIO, *, format: str = "jsonl") -> int:
    """Write every organization that was not merged away; returns how many."""
    if format != "jsonl":
        raise ConfigurationError(f"unknown export format {format!r} (supported: jsonl)")
    n = 0
    stmt = (
        select(Organization)
        .where(Organization.merged_into_id.is_(None))
        .order_by(Organization.id)
        .execution_options(yield_per=500)
    )
    for org in session.scalars(stmt):
        out.write(json.dumps(organization_record(org), ensure_ascii=False, default=str) + "\n")
        n += 1
    return n
