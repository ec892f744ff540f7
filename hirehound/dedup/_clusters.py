"""Duplicate clusters: plan (pure functions over ids) and apply (PostgreSQL).

The planning is what decides: which postings join which cluster, which clusters merge, which
members split off. It is kept out of SQL so tables of cases can test it (tests/unit/dedup/
test_clusters.py); the SQL side loads the ids, locks, and writes the plan.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from hirehound.dedup._check import DedupDecision
from hirehound.dedup._config import DEFAULT_CONFIG, DedupConfig
from hirehound.dedup._fingerprints import (
    POSTING_ROWS,
    compute_fingerprints,
    load_vectors,
    lock_employers,
    store_fingerprints,
)
from hirehound.dedup._judge import DUPLICATE_RANK, judge

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ClusterSummary:
    new_clusters: int = 0
    attached: int = 0
    merged: int = 0


@dataclass(frozen=True, slots=True)
class RevalidationSummary:
    clusters: int = 0
    postings: int = 0
    split_off: int = 0
    new_clusters: int = 0


# --- planning (pure) ----------------------------------------------------------------------------


class UnionFind:
    """Disjoint sets of hashable items; the smaller (by repr) root wins, so results are stable."""

    def __init__(self) -> None:
        self.parent: dict[Any, Any] = {}

    def find(self, x: Any) -> Any:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: Any, b: Any) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb, key=repr)] = min(ra, rb, key=repr)

    def groups(self) -> dict[Any, list[Any]]:
        out: dict[Any, list[Any]] = {}
        for x in list(self.parent):
            out.setdefault(self.find(x), []).append(x)
        return out


@dataclass(frozen=True, slots=True)
class ClusterPlan:
    """What `assign_clusters` writes: postings into existing clusters, clusters merged into
    others (src, dst), and groups of postings that need a new cluster (first id = seed)."""

    join: dict[int, int] = field(default_factory=dict)
    merges: list[tuple[int, int]] = field(default_factory=list)
    new: list[list[int]] = field(default_factory=list)


def plan_clusters(
    current: Mapping[int, int | None], links: Iterable[tuple[int, int]]
) -> ClusterPlan:
    """Connected components of postings (`current`: posting -> its cluster or None) joined by
    their clusters and by duplicate `links` (pairs of postings; ids absent from `current` are
    ignored). A component with clusters keeps the lowest cluster id and the others merge into
    it; a component without one needs a new cluster."""
    uf = UnionFind()
    for pid, cid in current.items():
        uf.find(("p", pid))
        if cid is not None:
            uf.union(("p", pid), ("c", cid))
    for a, b in links:
        if a in current and b in current:
            uf.union(("p", a), ("p", b))
    join: dict[int, int] = {}
    merges: list[tuple[int, int]] = []
    new: list[list[int]] = []
    for members in sorted(uf.groups().values(), key=lambda m: min(m)):
        clusters = sorted(x[1] for x in members if x[0] == "c")
        posts = sorted(x[1] for x in members if x[0] == "p")
        if not clusters:
            new.append(posts)
            continue
        merges.extend((c, clusters[0]) for c in clusters[1:])
        join.update((p, clusters[0]) for p in posts)
    return ClusterPlan(join, merges, new)


@dataclass(frozen=True, slots=True)
class SplitPlan:
    """What revalidating one cluster changes: groups that leave it (each a new cluster) and
    (posting, dedup_kind or None to keep, dedup_of) fixes for members whose original left."""

    split: list[list[int]] = field(default_factory=list)
    fixes: list[tuple[int, str | None, int | None]] = field(default_factory=list)


def plan_split(
    members: Mapping[int, int | None], head: int, same: Iterable[tuple[int, int]]
) -> SplitPlan:
    """Split one cluster (`members`: posting -> its dedup_of) into the components of the pairs
    judged `same`; the component of `head` (the canonical posting) stays."""
    uf = UnionFind()
    for i in members:
        uf.find(i)
    for a, b in same:
        uf.union(a, b)
    groups = list(uf.groups().values())
    keep = next(g for g in groups if head in g)
    split: list[list[int]] = []
    fixes: list[tuple[int, str | None, int | None]] = []
    for g in groups:
        gs = set(g)
        if g is not keep:
            split.append(sorted(g))
        if len(g) == 1 and g is not keep:
            fixes.append((g[0], "unique", None))  # alone now, whatever it pointed at
            continue
        for m in g:
            of = members[m]
            if of is None or of in gs:
                continue
            # Its original left: point at a member of its own group, or stand alone.
            rest = sorted(gs - {m})
            fixes.append((m, None, rest[0]) if rest else (m, "unique", None))
    return SplitPlan(split, fixes)


# --- applying (SQL) -----------------------------------------------------------------------------

# Completeness of a posting (0..1) from its row, before quality scores exist: JobPosting fields
# present and description length; a truncated copy ("... Read more") loses 0.3.
_COMPLETENESS = """
    (0.15 * (p.title is not null)::int + 0.1 * (coalesce(p.company, '') <> ''
     or p.organization_id is not null)::int
     + 0.1 * (p.city is not null or p.country is not null or p.location_raw is not null)::int
     + 0.05 * (p.employment_type is not null)::int + 0.05 * (p.date_posted is not null)::int
     + 0.05 * (p.salary_min is not null or p.salary_max is not null)::int
     + 0.05 * (p.description_html is not null)::int
     + 0.45 * least(1.0, coalesce(length(p.description_text), 0) / 3000.0)
     - 0.3 * coalesce(f.truncated, false)::int)
"""

def _refresh(session: Session, cluster_ids: Iterable[int], config: DedupConfig) -> None:
    ids = sorted(set(cluster_ids))
    if not ids:
        return
    buckets = 1.0 / max(config.completeness_tie, 1e-6)
    session.execute(
        text(
            f"""
            with ranked as (
                select distinct on (p.cluster_id) p.cluster_id, p.id
                from postings p left join dedup_fingerprints f on f.posting_id = p.id
                where p.cluster_id = any(cast(:ids as bigint[]))
                order by p.cluster_id,
                         -- A closed or expired member never hides a live one from search.
                         (p.status in ('closed', 'expired', 'removed', 'archived')),
                         round({buckets} * {_COMPLETENESS}) desc,
                         p.quality_score desc nulls last, p.date_posted asc nulls last, p.id
            ), sizes as (
                select cluster_id, count(*) as n from postings
                where cluster_id = any(cast(:ids as bigint[])) group by cluster_id
            )
            update duplicate_clusters d
            set canonical_posting_id = r.id, size = s.n, updated_at = now()
            from ranked r join sizes s using (cluster_id)
            where d.id = r.cluster_id
            """
        ),
        {"ids": ids},
    )
    # A cluster left without members (all moved by a merge or split) goes away.
    session.execute(
        text(
            "delete from duplicate_clusters d where d.id = any(cast(:ids as bigint[])) "
            "and not exists (select 1 from postings p where p.cluster_id = d.id)"
        ),
        {"ids": ids},
    )


def _new_clusters(session: Session, canonicals: list[int]) -> list[int]:
    if not canonicals:
        return []
    rows = session.execute(
        text(
            "insert into duplicate_clusters (canonical_posting_id, size) "
            "select unnest(cast(:c as bigint[])), 1 returning id, canonical_posting_id"
        ),
        {"c": canonicals},
    ).all()
    by_canonical = {c: i for i, c in rows}
    return [by_canonical[c] for c in canonicals]


def assign_clusters(
    session: Session, decisions: Sequence[DedupDecision], *, config: DedupConfig = DEFAULT_CONFIG
) -> ClusterSummary:
    """Give unique postings a cluster, attach duplicates to their original's, merge clusters a
    posting bridges; record dedup_kind / dedup_of and keep size and canonical right.
    Idempotent: a posting already in the right cluster is left alone."""
    final = [d for d in decisions if d.kind in ("exact", "unique")]
    if len(final) != len(decisions):
        log.warning("assign_clusters: %d undecided decisions ignored", len(decisions) - len(final))
    if not final:
        return ClusterSummary()
    involved = {d.posting_id for d in final} | {
        c for d in final if d.kind == "exact" for c in d.candidates
    }
    # Only the employer keys are needed to lock, not whole fingerprints.
    lock_employers(
        session,
        session.execute(
            text(
                "select organization_id, company_key from dedup_fingerprints "
                "where posting_id = any(cast(:ids as bigint[]))"
            ),
            {"ids": sorted(involved)},
        ).all(),
    )
    rows = session.execute(
        text(
            "select id, cluster_id from postings where id = any(cast(:ids as bigint[])) "
            "order by id for update"
        ),
        {"ids": sorted(involved)},
    ).all()
    current = {r.id: r.cluster_id for r in rows}
    plan = plan_clusters(
        current,
        ((d.posting_id, c) for d in final if d.kind == "exact" for c in d.candidates),
    )
    target = dict(plan.join)
    merges = plan.merges
    seeds = _new_clusters(session, [p[0] for p in plan.new])
    for posts, cid in zip(plan.new, seeds, strict=True):
        for p in posts:
            target[p] = cid
    if merges:
        session.execute(
            text(
                "update postings p set cluster_id = m.dst from unnest(cast(:src as bigint[]),"
                " cast(:dst as bigint[])) m(src, dst) where p.cluster_id = m.src"
            ),
            {"src": [s for s, _ in merges], "dst": [t for _, t in merges]},
        )
    by_id = {d.posting_id: d for d in final}
    upd_id, upd_cluster, upd_kind, upd_of = [], [], [], []
    attached = 0
    for pid, cid in target.items():
        dec = by_id.get(pid)
        if dec is None and current.get(pid) == cid:
            continue
        upd_id.append(pid)
        upd_cluster.append(cid)
        upd_kind.append(dec.stage if dec is not None else None)
        upd_of.append(dec.candidates[0] if dec is not None and dec.kind == "exact" else None)
        if dec is not None and dec.kind == "exact" and current.get(pid) != cid:
            attached += 1
    session.execute(
        text(
            "update postings p set cluster_id = v.c,"
            " dedup_kind = coalesce(v.k, p.dedup_kind),"
            " dedup_of = case when v.k is null then p.dedup_of else v.o end "
            "from unnest(cast(:id as bigint[]), cast(:c as bigint[]), cast(:k as text[]),"
            " cast(:o as bigint[])) v(id, c, k, o) where p.id = v.id"
        ),
        {"id": upd_id, "c": upd_cluster, "k": upd_kind, "o": upd_of},
    )
    _refresh(session, set(target.values()) | {s for s, _ in merges}, config)
    return ClusterSummary(new_clusters=len(plan.new), attached=attached, merged=len(merges))


def refresh_canonical(
    session: Session, cluster_ids: Sequence[int], *, config: DedupConfig = DEFAULT_CONFIG
) -> None:
    """Re-pick canonical postings and sizes (after quality scores are written)."""
    _refresh(session, cluster_ids, config)


def revalidate_clusters(
    session: Session,
    cluster_ids: Sequence[int] | None = None,
    *,
    limit: int = 1000,
    config: DedupConfig = DEFAULT_CONFIG,
) -> RevalidationSummary:
    """Re-check the members of clusters (the given ones, else the least recently checked
    multi-member ones, up to `limit`) from their current rows: members that no longer match
    split off into clusters of their own; canonical postings are re-picked."""
    if cluster_ids is None:
        cluster_ids = session.scalars(
            text(
                "select id from duplicate_clusters where size > 1 "
                "order by revalidated_at asc nulls first, id limit :n"
            ),
            {"n": limit},
        ).all()
    cids = sorted(set(cluster_ids))[:limit] if cluster_ids else []
    if not cids:
        return RevalidationSummary()
    member_ids = session.scalars(
        text("select id from postings where cluster_id = any(cast(:c as bigint[]))"), {"c": cids}
    ).all()
    rows = session.execute(POSTING_ROWS, {"ids": list(member_ids)}).all()
    fps = compute_fingerprints(rows, config)
    lock_employers(session, fps.values())
    store_fingerprints(session, list(fps.values()), config)  # texts may have been edited
    vectors = load_vectors(session, fps.keys())
    canon: dict[int, int] = dict(
        session.execute(
            text(
                "select id, canonical_posting_id from duplicate_clusters "
                "where id = any(cast(:c as bigint[]))"
            ),
            {"c": cids},
        ).all()
    )
    by_cluster: dict[int, list[Any]] = {}
    for r in rows:
        by_cluster.setdefault(r.cluster_id, []).append(r)

    split_groups: list[list[int]] = []
    fixes: list[tuple[int, str | None, int | None]] = []  # (id, dedup_kind, dedup_of)
    for cid, members in by_cluster.items():
        ids = [m.id for m in members]
        known = canon.get(cid)
        head = known if known is not None and known in fps else ids[0]
        pairs = (
            [(a, b) for k, a in enumerate(ids) for b in ids[k + 1 :]]
            if len(ids) <= config.revalidate_pairwise_max
            else [(head, b) for b in ids if b != head]
        )
        same = []
        for a, b in pairs:
            va, vb = vectors.get(a), vectors.get(b)
            cos = float(va @ vb) if va is not None and vb is not None else None
            if judge(fps[a], fps[b], config, cosine=cos).kind in DUPLICATE_RANK:
                same.append((a, b))
        plan = plan_split({m.id: m.dedup_of for m in members}, head, same)
        split_groups.extend(plan.split)
        fixes.extend(plan.fixes)
    new_ids = _new_clusters(session, [g[0] for g in split_groups])
    moved_id, moved_c = [], []
    for g, nc in zip(split_groups, new_ids, strict=True):
        moved_id.extend(g)
        moved_c.extend([nc] * len(g))
    if moved_id:
        session.execute(
            text(
                "update postings p set cluster_id = v.c from unnest(cast(:id as bigint[]),"
                " cast(:c as bigint[])) v(id, c) where p.id = v.id"
            ),
            {"id": moved_id, "c": moved_c},
        )
    if fixes:
        session.execute(
            text(
                "update postings p set dedup_kind = coalesce(v.k, p.dedup_kind), dedup_of = v.o "
                "from unnest(cast(:id as bigint[]), cast(:k as text[]), cast(:o as bigint[]))"
                " v(id, k, o) where p.id = v.id"
            ),
            {
                "id": [f[0] for f in fixes],
                "k": [f[1] for f in fixes],
                "o": [f[2] for f in fixes],
            },
        )
    _refresh(session, list(cids) + new_ids, config)
    session.execute(
        text(
            "update duplicate_clusters set revalidated_at = now() "
            "where id = any(cast(:c as bigint[]))"
        ),
        {"c": list(cids) + new_ids},
    )
    return RevalidationSummary(
        clusters=len(cids),
        postings=len(rows),
        split_off=len(moved_id),
        new_clusters=len(new_ids),
    )
