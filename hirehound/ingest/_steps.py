"""Steps 2-13 of ingestion, each over a chunk of posting ids inside one transaction.

A step loads what it needs by id, works posting by posting, and returns the ids that went
through plus dead letters for those that did not; one bad posting never fails its chunk.
An exception escaping a step means the whole chunk failed (database down...): the task
retries it and finally dead-letters the chunk's ids.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import delete, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from hirehound import dedup, orgs, search
from hirehound import text as textproc
from hirehound.geo import parse_location
from hirehound.ingest import _cpu
from hirehound.records import DeadLetter
from hirehound.scoring import (
    APPROVED,
    CLUSTER_HOLD,
    HOLD_THRESHOLD,
    REJECTED,
    QualityInput,
    SpamInput,
    quality_score,
)
from hirehound.settings import Settings
from hirehound.storage.models import (
    Posting,
    PostingEmbedding,
    PostingSkill,
    RawPosting,
    Skill,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

# Below this completeness a posting is held back instead of published (see hirehound.scoring).
MIN_QUALITY_TO_PUBLISH = 0.35
# Title weight in the combined vector: the title names the role, the text says the rest.
TITLE_WEIGHT = 0.35
# Known spam vectors compared against in the spam step (the most recent ones).
KNOWN_SPAM_LIMIT = 2000


@dataclass
class StepResult:
    step: str
    ok: list[int] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"step": self.step, "ok": len(self.ok), "dead_letters": len(self.dead)}


@dataclass
class Routing:
    """The dedup check's verdict for a chunk: which branch each posting takes."""

    exact: list[dedup.DedupDecision] = field(default_factory=list)
    possible: list[dedup.DedupDecision] = field(default_factory=list)
    unique: list[dedup.DedupDecision] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    # Postings a crash left past clustering: they go straight to index and publish
    # (`resumed_exact`: those of them that inherit their cluster's spam verdict).
    resumed: list[int] = field(default_factory=list)
    resumed_exact: list[int] = field(default_factory=list)

    def ids(self, *kinds: str) -> list[int]:
        return [d.posting_id for k in kinds for d in getattr(self, k)]

    def summary(self) -> dict[str, Any]:
        return {
            "step": "dedup_check",
            "exact": len(self.exact),
            "possible": len(self.possible),
            "unique": len(self.unique),
        }


def _each(
    step: str,
    items: Iterable[T],
    key: Callable[[T], int],
    fn: Callable[[T], Any],
    origin: Callable[[T], tuple[str | None, str | None, Any]] | None = None,
) -> tuple[list[tuple[T, Any]], list[DeadLetter]]:
    """Apply fn per item; a failure becomes a dead letter for that posting only.

    `origin` gives (source, source_id, payload) to keep with the dead letter for replay.
    """
    done: list[tuple[T, Any]] = []
    dead: list[DeadLetter] = []
    for item in items:
        try:
            done.append((item, fn(item)))
        except Exception as exc:  # the per-posting boundary: anything goes to dead letters
            src, src_id, payload = origin(item) if origin else (None, None, None)
            dead.append(
                DeadLetter(step, type(exc).__name__, str(exc) or repr(exc), key(item),
                           src, src_id, payload)
            )
    return done, dead


_PG_TYPES = {
    "city": "text", "region": "text", "country": "text", "remote": "boolean",
    "lat": "float8", "lon": "float8", "employment_type": "text",
    "date_posted": "timestamptz", "valid_through": "timestamptz", "salary_min": "float8",
    "salary_max": "float8", "salary_currency": "text", "salary_period": "text",
    "organization_id": "bigint", "quality_score": "float8", "spam_score": "float8",
    "is_spam": "boolean", "step": "text",
    # Array columns travel as array literals in text (unnest cannot carry arrays of arrays).
    "quality_missing": "array", "spam_reasons": "array",
}


# `postings.step` records the last step that changed the row (what a crash resumes from);
# steps that write other tables do not touch it (each UPDATE rewrites the row and its
# index entries).


def _array_literal(items: Sequence[str] | None) -> str | None:
    """A PostgreSQL text[] literal: {"a","b \\"c\\""}."""
    if items is None:
        return None
    quoted = ('"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"' for s in items)
    return "{" + ",".join(quoted) + "}"


def _bulk_update(session: Session, values: list[dict[str, Any]]) -> None:
    """Update many postings in one statement (UPDATE ... FROM unnest(...)).

    An ORM executemany sends one UPDATE per row; a chunk has hundreds of rows and each
    step writes once, so this is one round trip and one plan per step.
    """
    if not values:
        return
    cols = [c for c in values[0] if c != "id"]
    params: dict[str, Any] = {"ids": [v["id"] for v in values]}
    selects, sets = ["cast(:ids as bigint[])"], []
    for i, c in enumerate(cols):
        kind = _PG_TYPES[c]
        if kind == "array":
            params[f"c{i}"] = [_array_literal(v[c]) for v in values]
            selects.append(f"cast(:c{i} as text[])")
            sets.append(f"{c} = cast(v.{c} as text[])")
        else:
            params[f"c{i}"] = [v[c] for v in values]
            selects.append(f"cast(:c{i} as {kind}[])")
            sets.append(f"{c} = v.{c}")
    session.execute(
        text(
            f"update postings p set {', '.join(sets)}, updated_at = now() "
            f"from unnest({', '.join(selects)}) as v(id, {', '.join(cols)}) where p.id = v.id"
        ),
        params,
    )


# -- resuming --------------------------------------------------------------------------

# Steps after clustering and indexing: a posting that got this far (and whose content did
# not change since, or store_raw would have reset its step) needs only index and publish.
_PAST_CLUSTERING = ("quality", "spam")


def resume_points(session: Session, ids: Sequence[int]) -> Routing:
    """Which of `ids` a crash left past clustering (`resumed`, `resumed_exact`); the others
    start from clean."""
    rows = session.execute(
        select(Posting.id, Posting.dedup_kind)
        .where(Posting.id.in_(ids), Posting.step.in_(_PAST_CLUSTERING),
               Posting.cluster_id.is_not(None))
    ).all()
    return Routing(resumed=[r.id for r in rows],
                   resumed_exact=[r.id for r in rows if r.dedup_kind == "exact"])


# -- 2. clean ---------------------------------------------------------------------------


def clean(session: Session, ids: Sequence[int], settings: Settings) -> StepResult:
    """Sanitize the HTML, extract the whole text, normalize the title; create the posting row."""
    rows = session.execute(
        select(RawPosting.id, RawPosting.source, RawPosting.source_id, RawPosting.url,
               RawPosting.record).where(RawPosting.id.in_(ids))
    ).all()

    outcomes = _cpu.cpu_map(
        _cpu.clean_part,
        [(r.record.get("title"), r.record.get("description_html"), r.record.get("description"))
         for r in rows],
        settings.max_description_chars,
    )
    done: list[tuple[Any, dict[str, Any]]] = []
    dead: list[DeadLetter] = []
    for r, (title, html_or_error, text_or_detail, truncated) in zip(rows, outcomes, strict=True):
        if title is None:
            dead.append(DeadLetter("clean", html_or_error, text_or_detail, r.id, r.source,
                                   r.source_id, r.record))
            continue
        rec = r.record
        done.append((r, {
            "id": r.id, "source": r.source, "source_id": r.source_id, "url": r.url,
            "title": title, "company": (rec.get("company") or "").strip() or None,
            "location_raw": rec.get("location"), "description_html": html_or_error,
            "description_text": text_or_detail, "description_truncated": truncated,
            "status": "pending", "status_reason": None, "step": "clean",
        }))
    values = [v for _, v in done]
    if values:
        # executemany form: one cached statement, not a fresh 256-row VALUES to compile.
        stmt = insert(Posting)
        cols = {c: stmt.excluded[c] for c in values[0] if c != "id"}
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=[Posting.id],
                set_={**cols, "updated_at": func.now(), "last_seen_at": func.now()},
            ),
            values,
        )
    return StepResult("clean", [v["id"] for v in values], dead)


# -- 3. normalize -----------------------------------------------------------------------


def normalize(session: Session, ids: Sequence[int]) -> StepResult:
    """Location, employment type, dates and salary into structured fields."""
    rows = session.execute(
        select(RawPosting.id, RawPosting.record).where(RawPosting.id.in_(ids))
    ).all()

    def work(r: Any) -> dict[str, Any]:
        rec = r.record
        loc = parse_location(rec.get("location"), remote=rec.get("remote"))
        salary = textproc.parse_salary(rec.get("salary"))
        return {
            "id": r.id, "city": loc.city, "region": loc.region, "country": loc.country,
            "remote": loc.remote if loc.remote is not None else rec.get("remote"),
            "lat": loc.lat, "lon": loc.lon,
            "employment_type": textproc.normalize_employment_type(rec.get("employment_type")),
            "date_posted": textproc.parse_date(rec.get("date_posted")),
            "valid_through": textproc.parse_date(rec.get("valid_through")),
            "salary_min": salary.min if salary else None,
            "salary_max": salary.max if salary else None,
            "salary_currency": salary.currency if salary else None,
            "salary_period": salary.period if salary else None,
            "step": "normalize",
        }

    done, dead = _each("normalize", rows, lambda r: r.id, work)
    _bulk_update(session, [v for _, v in done])
    return StepResult("normalize", [v["id"] for _, v in done], dead)


# -- 4. organizations -------------------------------------------------------------------


def match_organizations(
    session: Session, ids: Sequence[int], *, run_id: str | None = None
) -> StepResult:
    """Find or create each posting's employer (legal-name normalization, domain, aliases).

    `run_id` stamps the organizations this call creates, so the run announces only its own.
    """
    rows = session.execute(
        select(Posting.id, Posting.company, RawPosting.record["company_domain"].astext)
        .join(RawPosting, RawPosting.id == Posting.id)
        .where(Posting.id.in_(ids))
    ).all()
    named = [r for r in rows if r.company]
    org_ids = (orgs.match_or_create(session, [(r.company, r[2]) for r in named],
                                    created_by=run_id) if named else [])
    values = [
        {"id": r.id, "organization_id": o, "step": "organizations"}
        for r, o in zip(named, org_ids, strict=True)
    ] + [{"id": r.id, "organization_id": None, "step": "organizations"}
         for r in rows if not r.company]
    _bulk_update(session, values)
    return StepResult("organizations", [r.id for r in rows])


# -- 5. skills --------------------------------------------------------------------------


def extract_skills(session: Session, ids: Sequence[int]) -> StepResult:
    """Match the shipped skills taxonomy against title and text."""
    rows = session.execute(
        select(Posting.id, Posting.title, Posting.description_text).where(Posting.id.in_(ids))
    ).all()
    found = _cpu.cpu_map(_cpu.skills_part, [(r.description_text or "", r.title) for r in rows])
    ok = [r.id for r in rows]
    # Each skill is (id, name, category); the taxonomy table learns the ones seen.
    skills = {sk[0]: sk for per in found for sk in per}
    if skills:
        session.execute(
            insert(Skill).on_conflict_do_nothing(),
            # Sorted: two chunks inserting overlapping skills lock rows in one order, so
            # they wait for each other instead of deadlocking.
            [{"id": i, "name": n, "category": c} for i, n, c in sorted(skills.values())],
        )
    session.execute(delete(PostingSkill).where(PostingSkill.posting_id.in_(ok)))
    links = [{"posting_id": r.id, "skill_id": sk[0]} for r, per in zip(rows, found, strict=True)
             for sk in per]
    if links:
        session.execute(insert(PostingSkill).on_conflict_do_nothing(), links)
    return StepResult("skills", ok)


# -- 6. embed ---------------------------------------------------------------------------


def embed(session: Session, ids: Sequence[int], settings: Settings) -> StepResult:
    """Title and description vectors, and their weighted mix for search and dedup."""
    rows = session.execute(
        select(Posting.id, Posting.organization_id, Posting.title, Posting.description_text)
        .where(Posting.id.in_(ids))
        .order_by(Posting.id)
    ).all()
    if not rows:
        return StepResult("embed")
    both = _cpu.cpu_map_array(
        _cpu.embed_part,
        [r.title or "" for r in rows] + [r.description_text or "" for r in rows],
        settings,
    )
    titles, texts = both[: len(rows)], both[len(rows):]
    combined = TITLE_WEIGHT * titles + (1 - TITLE_WEIGHT) * texts
    combined /= np.maximum(np.linalg.norm(combined, axis=1, keepdims=True), 1e-9)
    # Raw SQL so psycopg sends the numpy vectors in pgvector's binary format (the
    # SQLAlchemy type formats each as a 256-number string first).
    session.execute(
        text(
            "insert into posting_embeddings "
            "(posting_id, organization_id, title, description, combined) "
            "values (:posting_id, :organization_id, :title, :description, :combined) "
            "on conflict (posting_id) do update set organization_id = excluded.organization_id, "
            "title = excluded.title, description = excluded.description, "
            "combined = excluded.combined"
        ),
        [
            {"posting_id": r.id, "organization_id": r.organization_id,
             "title": titles[i], "description": texts[i], "combined": combined[i]}
            for i, r in enumerate(rows)
        ],
    )
    ok = [r.id for r in rows]
    return StepResult("embed", ok)


# -- 7-8. dedup and clusters ------------------------------------------------------------


def check_duplicates(session: Session, ids: Sequence[int]) -> Routing:
    """Stages 1-2 (exact, near-duplicate candidates): route each posting to its branch."""
    routing = Routing()
    for d in dedup.check(session, ids):
        {"exact": routing.exact, "possible": routing.possible, "unique": routing.unique}[
            d.kind
        ].append(d)
    return routing


def originals_in_flight(
    session: Session, decisions: Sequence[dedup.DedupDecision], *, chunk: Iterable[int] = ()
) -> list[int]:
    """The exact copies among `decisions` whose original is still on its way through the
    pipeline in another chunk (stored to process, not yet published, not dead-lettered since):
    what a copy inherits (skills, vectors, its cluster's canonical and the spam verdict) is
    not all written yet. Originals in `chunk` (the copies' own) are done before the copies'
    stage and never count."""
    own = set(chunk)
    pairs = [(d.posting_id, d.candidates[0]) for d in decisions
             if d.kind == "exact" and d.candidates and d.candidates[0] not in own]
    if not pairs:
        return []
    return list(session.scalars(
        text(
            "select v.copy from unnest(cast(:copies as bigint[]), cast(:origs as bigint[])) "
            "v(copy, orig) join raw_postings r on r.id = v.orig "
            "left join postings o on o.id = v.orig "
            "where r.pending_since is not null and o.step is distinct from 'publish' "
            "and not exists (select 1 from dead_letters d where d.posting_id = v.orig "
            "  and d.created_at >= r.pending_since) "
            "order by v.copy"
        ),
        {"copies": [c for c, _ in pairs], "origs": [o for _, o in pairs]},
    ))


def inherit_from_duplicates(
    session: Session, decisions: Sequence[dedup.DedupDecision], *, own: Iterable[int] = ()
) -> StepResult:
    """Exact duplicates skip skills and embedding: they take their original's (the flow has
    waited for originals in flight, `originals_in_flight`). Those in `own` computed their
    own (their original did not come through in time) and keep them."""
    keep = set(own)
    pairs = [{"dup": d.posting_id, "orig": d.candidates[0]} for d in decisions
             if d.candidates and d.posting_id not in keep]
    if not pairs:
        return StepResult("inherit")
    session.execute(
        delete(PostingSkill).where(PostingSkill.posting_id.in_([p["dup"] for p in pairs]))
    )
    session.execute(
        text(
            "insert into posting_skills (posting_id, skill_id) "
            "select :dup, skill_id from posting_skills where posting_id = :orig "
            "on conflict do nothing"
        ),
        pairs,
    )
    session.execute(
        text(
            "insert into posting_embeddings "
            "(posting_id, organization_id, title, description, combined) "
            "select :dup, p.organization_id, e.title, e.description, e.combined "
            "from posting_embeddings e join postings p on p.id = :dup "
            "where e.posting_id = :orig "
            "on conflict (posting_id) do update set organization_id = excluded.organization_id, "
            "title = excluded.title, description = excluded.description, "
            "combined = excluded.combined"
        ),
        pairs,
    )
    ok = [p["dup"] for p in pairs]
    return StepResult("inherit", ok)


def deep_check(
    session: Session, decisions: Sequence[dedup.DedupDecision]
) -> list[dedup.DedupDecision]:
    """Stages 3-4 for possible duplicates: nearest neighbours in the organization, attributes."""
    return dedup.deep_check(session, decisions) if decisions else []


def assign_clusters(session: Session, decisions: Sequence[dedup.DedupDecision]) -> StepResult:
    """Attach duplicates to their cluster, give uniques their own, merge bridged clusters."""
    if not decisions:
        return StepResult("cluster")
    dedup.assign_clusters(session, decisions)
    ok = [d.posting_id for d in decisions]
    return StepResult("cluster", ok)


# -- 9. index ---------------------------------------------------------------------------


def index(session: Session, ids: Sequence[int]) -> StepResult:
    """Full-text documents for the postings, vectors for their clusters' canonicals."""
    search.index_postings(session, ids)
    return StepResult("index", list(ids))


# -- 10. quality ------------------------------------------------------------------------


def score_quality(session: Session, ids: Sequence[int]) -> StepResult:
    """Completeness against Google's JobPosting required and recommended fields."""
    skills = func.count(PostingSkill.skill_id).label("skills")
    rows = session.execute(
        select(Posting, skills)
        .outerjoin(PostingSkill, PostingSkill.posting_id == Posting.id)
        .where(Posting.id.in_(ids))
        .group_by(Posting.id)
    ).all()

    def work(row: Any) -> dict[str, Any]:
        p, n = row
        q = quality_score(
            QualityInput(
                title=p.title, description_text=p.description_text, company=p.company,
                date_posted=p.date_posted, valid_through=p.valid_through,
                employment_type=p.employment_type, city=p.city, region=p.region,
                country=p.country, remote=p.remote, salary_min=p.salary_min,
                salary_max=p.salary_max, salary_currency=p.salary_currency, url=p.url,
                skills_count=n,
            )
        )
        return {"id": p.id, "quality_score": q.score, "quality_missing": list(q.missing),
                "step": "quality"}

    done, dead = _each("quality", rows, lambda r: r[0].id, work)
    session.expunge_all()
    _bulk_update(session, [v for _, v in done])
    if done:
        dedup.refresh_canonical(session, _cluster_ids(session, [v["id"] for _, v in done]))
    return StepResult("quality", [v["id"] for _, v in done], dead)


def _cluster_ids(session: Session, ids: Sequence[int]) -> list[int]:
    return list(
        session.scalars(
            select(Posting.cluster_id).where(Posting.id.in_(ids), Posting.cluster_id.is_not(None))
            .distinct()
        )
    )


# -- 11. spam ---------------------------------------------------------------------------


def score_spam(session: Session, ids: Sequence[int], *, inherit: Sequence[int] = ()) -> StepResult:
    """Rules, then the trained model, then similarity to known spam, each posting on its own
    text. An exact duplicate (`inherit`) takes its original's verdict only when their
    normalized texts are equal (same content hash): a scam text on a legitimate posting's URL
    is scored like any other posting."""
    same_text = {}
    if inherit:
        same_text = {
            r.id: r
            for r in session.execute(
                text(
                    "select p.id, o.id as orig, o.spam_score, o.is_spam, o.spam_reasons "
                    "from postings p join postings o on o.id = p.dedup_of "
                    "where p.id = any(:ids) and p.content_hash = o.content_hash "
                    "and o.spam_score is not null"
                ),
                {"ids": list(inherit)},
            )
        }
    own = [i for i in ids if i not in same_text]
    rows = session.execute(
        select(Posting.id, Posting.title, Posting.description_text, Posting.company, Posting.url,
               Posting.salary_min, Posting.salary_max, Posting.salary_period,
               Posting.employment_type, Posting.remote, PostingEmbedding.combined)
        .outerjoin(PostingEmbedding, PostingEmbedding.posting_id == Posting.id)
        .where(Posting.id.in_(own))
        .order_by(Posting.id)
    ).all()
    # Confirmed spam only (status 'spam': the high level, or rejected in review); of copies
    # only the original and rejected ones (a copy's vector repeats its original's).
    known = [
        np.asarray(v, dtype=np.float32)
        for v in session.scalars(
            select(PostingEmbedding.combined)
            .join(Posting, Posting.id == PostingEmbedding.posting_id)
            .where(
                Posting.is_spam.is_(True),
                Posting.status == "spam",
                or_(Posting.dedup_kind == "unique", Posting.dedup_kind.is_(None),
                    Posting.spam_reasons.contains([REJECTED])),
            )
            .order_by(Posting.id.desc())
            .limit(KNOWN_SPAM_LIMIT)
        )
    ]
    values: list[dict[str, Any]] = [
        {"id": i, "spam_score": r.spam_score, "is_spam": r.is_spam,
         "spam_reasons": [*(x for x in (r.spam_reasons or ()) if not x.startswith("review:")),
                          f"same_text_as:{r.orig}"], "step": "spam"}
        for i, r in same_text.items()
    ]
    dead: list[DeadLetter] = []
    if rows:
        inputs = [
            SpamInput(
                title=r.title or "", description_text=r.description_text or "", company=r.company,
                url=r.url, salary_min=r.salary_min, salary_max=r.salary_max,
                salary_period=r.salary_period, employment_type=r.employment_type, remote=r.remote,
            )
            for r in rows
        ]
        results = _cpu.cpu_map(
            _cpu.spam_part,
            [(inp, np.asarray(r.combined, dtype=np.float32) if r.combined is not None else None)
             for inp, r in zip(inputs, rows, strict=True)],
            np.stack(known) if known else None,
        )
        values += [
            {"id": r.id, "spam_score": s.score, "is_spam": s.is_spam,
             "spam_reasons": list(s.reasons), "step": "spam"}
            for r, s in zip(rows, results, strict=True)
        ]
    _bulk_update(session, values)
    return StepResult("spam", list(ids), dead)


# -- 12. publish ------------------------------------------------------------------------

# Whether a posting's own spam verdict keeps it from being published (held or spam level,
# not approved in review).
_FLAGGED = (
    "({p}.is_spam or coalesce({p}.spam_score, 0) >= :hold) "
    "and not (:approved = any(coalesce({p}.spam_reasons, cast(array[] as text[]))))"
)


def publish(session: Session, ids: Sequence[int]) -> StepResult:
    """Active and searchable, or held back with the reason: `spam` above the high spam level,
    `held` for review above the calibrated one, or when another member of its duplicate
    cluster is held or spam (one job, one verdict); expired; held for low quality. A flagged
    posting also moves the published members of its cluster to `held`."""
    params = {"ids": list(ids), "min_q": MIN_QUALITY_TO_PUBLISH, "hold": HOLD_THRESHOLD,
              "approved": APPROVED, "cluster_hold": CLUSTER_HOLD}
    flagged = _FLAGGED.format(p="p")
    cluster_flagged = (
        "exists (select 1 from postings m where m.cluster_id = p.cluster_id and m.id <> p.id "
        f"and m.status in ('held', 'spam') and {_FLAGGED.format(p='m')})"
    )
    session.execute(
        text(
            "update postings p set "
            "status = case "
            "  when p.is_spam and not (:approved = any(coalesce(p.spam_reasons,"
            "    cast(array[] as text[])))) then 'spam' "
            f"  when {flagged} then 'held' "
            f"  when {cluster_flagged} then 'held' "
            "  when valid_through is not null and valid_through < now() then 'expired' "
            "  when coalesce(quality_score, 0) < :min_q then 'held' "
            "  else 'active' end, "
            "status_reason = case "
            f"  when {flagged} then "
            "    case when p.is_spam then 'spam: ' else 'suspected spam: ' end "
            "    || array_to_string(spam_reasons, ', ') "
            f"  when {cluster_flagged} then :cluster_hold "
            "  when valid_through is not null and valid_through < now() then 'expired' "
            "  when coalesce(quality_score, 0) < :min_q then "
            "    'low quality: missing ' || array_to_string(quality_missing, ', ') "
            "  else null end, "
            "published_at = coalesce(published_at, now()), step = 'publish', updated_at = now() "
            "where p.id = any(:ids)"
        ),
        params,
    )
    # The chunk's flagged postings hold back the published members of their clusters.
    session.execute(
        text(
            "update postings m set status = 'held', status_reason = :cluster_hold, "
            "updated_at = now() "
            "from postings p where p.id = any(:ids) and p.cluster_id = m.cluster_id "
            "and m.id <> p.id and m.status = 'active' and p.status in ('held', 'spam') "
            f"and {flagged} "
            "and not (:approved = any(coalesce(m.spam_reasons, cast(array[] as text[]))))"
        ),
        params,
    )
    # Through the pipeline: nothing left for the sweep (hirehound.maintenance.sweep).
    session.execute(
        text("update raw_postings set pending_since = null "
             "where id = any(:ids) and pending_since is not null"),
        {"ids": list(ids)},
    )
    return StepResult("publish", list(ids))
