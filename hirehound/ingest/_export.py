"""`hirehound export`: one JSON object per posting, streamed (flat memory on any corpus)."""

from __future__ import annotations

import json
from typing import Any, TextIO

from sqlalchemy import text
from sqlalchemy.orm import Session

from hirehound.net import safe_http_url

_QUERY = text(
    """
    select p.id, p.source, p.source_id, p.url, p.title, p.company, p.organization_id,
           o.name as organization_name, p.city, p.region, p.country, p.remote,
           p.employment_type, p.date_posted, p.salary_min, p.salary_max, p.salary_currency,
           p.salary_period, p.description_text, p.description_html, p.quality_score,
           p.spam_score, p.is_spam, p.status, p.status_reason, p.cluster_id, p.dedup_kind,
           (c.canonical_posting_id = p.id) as canonical,
           coalesce((select array_agg(k.name order by k.name) from posting_skills ps
                     join skills k on k.id = ps.skill_id where ps.posting_id = p.id),
                    '{}') as skills
    from postings p
    left join organizations o on o.id = p.organization_id
    left join duplicate_clusters c on c.id = p.cluster_id
    where (cast(:status as text) is null or p.status = :status)
    order by p.id
    """
)


def posting_document(r: Any) -> dict[str, Any]:
    """The export shape of one posting row."""
    salary = None
    if r.salary_min is not None or r.salary_max is not None:
        salary = {"min": r.salary_min, "max": r.salary_max, "currency": r.salary_currency,
                  "period": r.salary_period}
    return {
        "id": r.id,
        "source": r.source,
        "source_id": r.source_id,
        "url": safe_http_url(r.url),  # http(s) only, whatever was stored
        "title": r.title,
        "company": r.company,
        "organization_id": r.organization_id,
        "organization_name": r.organization_name,
        "location": {"city": r.city, "region": r.region, "country": r.country,
                     "remote": r.remote},
        "employment_type": r.employment_type,
        "date_posted": r.date_posted.isoformat() if r.date_posted else None,
        "salary": salary,
        "description_text": r.description_text,
        "description_html": r.description_html,
        "skills": list(r.skills),
        "quality_score": r.quality_score,
        "spam_score": r.spam_score,
        "is_spam": r.is_spam,
        "status": r.status,
        "status_reason": r.status_reason,
        "cluster_id": r.cluster_id,
        "dedup_kind": r.dedup_kind,
        "canonical": bool(r.canonical),
    }


def export_postings(session: Session, out: TextIO, *, status: str | None = None) -> int:
    """Write postings as JSON lines; return how many."""
    n = 0
    result = session.execute(_QUERY.execution_options(yield_per=1000), {"status": status})
    for r in result:
        out.write(json.dumps(posting_document(r), ensure_ascii=False))
        out.write("\n")
        n += 1
    return n
