"""Read an organization for the sources, and write the merged result back (the fan-in end)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from hirehound.enrichment._industry import IndustryClassifier, company_sentences, sector_of_category
from hirehound.enrichment._merge import Merged, merge_results
from hirehound.enrichment._size import bucket_of, estimate_bucket
from hirehound.enrichment._sources import OrgQuery
from hirehound.errors import EnrichmentDataError
from hirehound.orgs import normalize_domain
from hirehound.storage.models import Organization

log = logging.getLogger(__name__)

# Organization columns enrichment owns; a change in any of them re-indexes the postings.
OWNED = (
    "description", "website", "domain", "industry", "size_bucket", "employee_count",
    "founded_year", "hq_city", "hq_region", "hq_country", "hq_lat", "hq_lon", "logo_url",
)  # fmt: skip
_POSTING_SAMPLE = 8


@dataclass(slots=True)
class Outcome:
    organization_id: int
    changed: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    reindexed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "organization_id": self.organization_id,
            "changed": self.changed,
            "sources": self.sources,
            "conflicts": self.conflicts,
            "reindexed": self.reindexed,
        }


def load_query(session: Session, org_id: int) -> OrgQuery:
    org = session.get(Organization, org_id)
    if org is None:
        raise EnrichmentDataError(f"organization {org_id} does not exist")
    return OrgQuery(
        id=org.id,
        name=org.name,
        normalized_name=org.normalized_name,
        domain=org.domain,
        website=org.website,
        aliases=tuple(org.aliases or ()),
    )


def _posting_texts(session: Session, org_id: int) -> tuple[list[str], int]:
    rows = (
        session.execute(
            text(
                "select coalesce(title, '') || '. ' || left(coalesce(description_text, ''), 3000)"
                " from postings where organization_id = :id order by id limit :n"
            ),
            {"id": org_id, "n": _POSTING_SAMPLE},
        )
        .scalars()
        .all()
    )
    count = session.execute(
        text("select count(*) from postings where organization_id = :id"), {"id": org_id}
    ).scalar_one()
    return list(rows), int(count)


def _country_code(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    v = value.strip()
    if len(v) == 2 and v.isalpha():
        return v.upper()
    try:
        import pycountry

        return str(pycountry.countries.lookup(v).alpha_2)
    except (LookupError, ImportError):
        return None


def derive(
    org: Organization,
    merged: Merged,
    *,
    classifier: IndustryClassifier | None,
    posting_texts: Sequence[str],
    posting_count: int,
) -> dict[str, tuple[Any, str]]:
    """Field -> (value, provenance) from merged facts plus what we work out ourselves."""
    v = merged.values
    out: dict[str, tuple[Any, str]] = {}
    for name in ("description", "founded_year", "employee_count", "hq_city", "hq_region"):
        if v.get(name) is not None:
            out[name] = (v[name], merged.provenance[name]["source"])
    if v.get("description") and isinstance(v["description"], str):
        out["description"] = (v["description"][:2000], merged.provenance["description"]["source"])
    country = _country_code(v.get("hq_country"))
    if country:
        out["hq_country"] = (country, merged.provenance["hq_country"]["source"])
    if not org.domain:
        domain = normalize_domain(v.get("domain") or v.get("website"))
        if domain:
            out["domain"] = (
                domain,
                merged.provenance.get("domain", merged.provenance.get("website", {})).get(
                    "source", "derived"
                ),
            )
    if v.get("website") and not org.website:
        out["website"] = (v["website"], merged.provenance["website"]["source"])

    # Industry: a source's category mapped plainly by keyword, else the classifier on all text.
    category = v.get("category")
    sector = sector_of_category(category) if isinstance(category, str) else None
    if sector:
        out["industry"] = (sector, f"{merged.provenance['category']['source']}:category")
    elif classifier is not None:
        parts = [org.name, str(v.get("description") or ""), str(category or "")]
        parts.append(
            company_sentences(org.name, posting_texts) or " ".join(posting_texts[:2])[:1500]
        )
        guess = classifier.classify([" ".join(p for p in parts if p)])[0]
        if guess is not None:
            out["industry"] = (guess.sector, "classifier")

    # Size: a reported count, else an estimate with its reason.
    count = v.get("employee_count")
    bucket = bucket_of(count if isinstance(count, int) else None)
    if bucket:
        out["size_bucket"] = (bucket, merged.provenance["employee_count"]["source"])
    else:
        texts = [str(v.get("description") or ""), *posting_texts]
        est, reason = estimate_bucket(
            texts=texts,
            public=bool(v.get("public")),
            yc=bool(v.get("yc")),
            posting_count=posting_count,
        )
        out["size_bucket"] = (est, f"estimate:{reason}")
    return out


def apply_enrichment(
    session: Session,
    org_id: int,
    results: Iterable[Mapping[str, Any] | None],
    *,
    classifier: IndustryClassifier | None = None,
    embed: Callable[[list[str]], Any] | None = None,
    geocode: Callable[[str | None, str | None, str | None], Any] | None = None,
    pick_logo: Callable[[list[str | None]], str | None] | None = None,
    reindex: Callable[[Session, Sequence[int]], None] | None = None,
) -> Outcome:
    """Merge source results into the organization, record provenance and conflicts, re-index
    its postings when a field changed. Every collaborator is optional (tests, offline runs)."""
    org = session.get(Organization, org_id, with_for_update=True)
    if org is None:
        raise EnrichmentDataError(f"organization {org_id} does not exist")
    results = list(results)
    merged = merge_results(results)
    texts, count = _posting_texts(session, org_id)
    fields = derive(org, merged, classifier=classifier, posting_texts=texts, posting_count=count)

    if geocode is not None:
        city = fields.get("hq_city", (org.hq_city, ""))[0]
        region = fields.get("hq_region", (org.hq_region, ""))[0]
        country = fields.get("hq_country", (org.hq_country, ""))[0]
        if city or country:
            loc = geocode(city, region, country)
            if loc is not None and loc.lat is not None:
                fields["hq_lat"] = (loc.lat, "geocoded")
                fields["hq_lon"] = (loc.lon, "geocoded")
                if loc.country and "hq_country" not in fields:
                    fields["hq_country"] = (loc.country, "geocoded")
    if pick_logo is not None:
        v = merged.values
        candidates = [v.get("logo_url"), *(v.get("icon_urls") or []), v.get("og_image")]
        logo = pick_logo(candidates)
        if logo:
            src = (
                merged.provenance.get("logo_url", {}).get("source")
                if logo == v.get("logo_url")
                else "website:icon"
            )
            fields["logo_url"] = (logo, src or "website:icon")

    outcome = Outcome(org_id, sources=merged.sources_used, conflicts=sorted(merged.conflicts))
    provenance = dict(org.sources or {})
    now = datetime.now(UTC).isoformat()
    for name, (value, source) in fields.items():
        if name not in OWNED:
            continue
        if getattr(org, name) != value:
            setattr(org, name, value)
            outcome.changed.append(name)
        provenance[name] = {"source": source, "value": value, "at": now}
    for extra in ("ticker", "public", "yc", "same_as", "legal_name"):
        if extra in merged.values:
            provenance[extra] = {
                "source": merged.provenance[extra]["source"],
                "value": merged.values[extra],
                "at": now,
            }
    org.sources = provenance
    org.conflicts = merged.conflicts
    if embed is not None and (outcome.changed or org.embedding is None):
        summary = ". ".join(x for x in (org.name, org.industry, org.description) if x)
        org.embedding = embed([summary])[0]
    org.enriched_at = datetime.now(UTC)
    org.updated_at = org.enriched_at
    org.enrich_claimed_until = None
    session.flush()

    if outcome.changed and reindex is not None:
        ids = (
            session.execute(
                text("select id from postings where organization_id = :id"), {"id": org_id}
            )
            .scalars()
            .all()
        )
        if ids:
            reindex(session, list(ids))
            outcome.reindexed = len(ids)
    return outcome


def record_source_failure(
    session: Session,
    *,
    org_id: int,
    source: str,
    error: BaseException,
    **run: str | None,
) -> None:
    """A source that failed for good for one organization: a dead letter to replay; `run`
    names the run (flow_name, flow_run_id, task_name, work_queue)."""
    from hirehound.records import DeadLetterRecord
    from hirehound.storage import dead_letters

    letter = DeadLetterRecord(
        f"enrich:{source}", type(error).__name__, str(error), organization_id=org_id,
        source=source, inputs={"org_id": org_id, "source": source},
    )
    dead_letters.record(session, [letter], **run)


def select_organizations(
    session: Session,
    *,
    org_ids: Sequence[int] | None = None,
    names: Sequence[str] | None = None,
    stale_days: int | None = None,
    only_new: bool = False,
    limit: int = 500,
    claim_s: float | None = None,
) -> list[int]:
    """Which organizations to enrich: the given ids or names, never-enriched ones, or stale.

    With `claim_s`, the chosen ones are claimed for that long (`FOR UPDATE SKIP LOCKED` and a
    lease): runs that overlap (two ingestion events, a schedule) never enrich the same
    organization at once; a finished enrichment or a lapsed lease releases it.
    """
    from hirehound.orgs import normalize_name

    clauses = ["merged_into_id is null"]
    params: dict[str, Any] = {"limit": limit}
    if org_ids:
        clauses.append("id = any(:ids)")
        params["ids"] = list(org_ids)
    if names:
        keys = [normalize_name(n) for n in names]
        clauses.append(
            "(normalized_name = any(:keys) or id in (select organization_id from"
            " organization_aliases where alias_normalized = any(:keys)))"
        )
        params["keys"] = keys
    if only_new:
        clauses.append("enriched_at is null")
    elif stale_days is not None:
        clauses.append(
            "(enriched_at is null or enriched_at < now() - make_interval(days => :days))"
        )
        params["days"] = stale_days
    if claim_s is not None:
        clauses.append("(enrich_claimed_until is null or enrich_claimed_until < now())")
    sql = (
        f"select id from organizations where {' and '.join(clauses)}"
        " order by enriched_at nulls first, id limit :limit"
        + (" for update skip locked" if claim_s is not None else "")
    )
    ids = [int(i) for i in session.execute(text(sql), params).scalars()]
    if ids and claim_s is not None:
        session.execute(
            text("update organizations set enrich_claimed_until = now() "
                 "+ make_interval(secs => :s) where id = any(:ids)"),
            {"s": float(claim_s), "ids": ids},
        )
    return ids


def release_organizations(session: Session, org_ids: Sequence[int]) -> None:
    """Drop the enrichment claims of a run that ends (its failures included)."""
    session.execute(
        text("update organizations set enrich_claimed_until = null where id = any(:ids)"),
        {"ids": list(org_ids)},
    )
