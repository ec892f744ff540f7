"""The dedup stages over PostgreSQL: fingerprints and band keys stored, candidates by index.

Every lookup is keyed (primary key, `dedup_band_keys` (band, key), `postings.canonical_url`,
`postings.content_hash`, `posting_embeddings.organization_id`), and each key's hit list is
capped, so the cost per posting does not grow with the corpus.

Concurrency: check, assign and revalidate take a transaction-scoped advisory lock per employer
(organization id and normalized company name) in ascending order, so two workers holding chunks
of one employer serialize on it (the second sees the first's fingerprints and clusters) and
cannot deadlock on each other.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from hirehound.dedup._config import DEFAULT_CONFIG, DedupConfig
from hirehound.dedup._judge import Fingerprint, Verdict, fingerprint, judge
from hirehound.dedup._text import TextPrint, band_key_matrix, hash64, text_prints

log = logging.getLogger(__name__)

# Most candidates one band key may contribute (a boilerplate-only text shared by hundreds of
# postings must not make one lookup return the whole employer).
_CAP_PER_KEY = 50
_RANK = {"exact": 0, "near": 1, "semantic": 2}


@dataclass(frozen=True, slots=True)
class DedupDecision:
    """The dedup verdict of one posting."""

    posting_id: int
    kind: Literal["exact", "possible", "unique"]
    # Posting ids it may duplicate; for "exact", confirmed duplicates, best first.
    candidates: tuple[int, ...] = ()
    # "canonical_url", "content_hash" (stage 1), "lsh:0.83", "containment:0.97" (stage 2),
    # "semantic:0.95" (stage 3); "" for unique.
    reason: str = ""

    @property
    def stage(self) -> Literal["unique", "exact", "near", "semantic"]:
        """Which stage decided: the value stored in postings.dedup_kind."""
        if self.kind != "exact":
            return "unique"
        if self.reason.startswith("semantic"):
            return "semantic"
        if self.reason.startswith(("lsh", "containment")):
            return "near"
        return "exact"


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


# --- fingerprints ---------------------------------------------------------------------------

_ROWS = text(
    "select id, url, title, company, organization_id, location_raw, city, region, country, "
    "remote, description_text, cluster_id, dedup_of from postings "
    "where id = any(cast(:ids as bigint[])) order by id"
)


def _fingerprints(rows: Iterable[Any], config: DedupConfig) -> dict[int, Fingerprint]:
    rows = list(rows)
    prints = text_prints([r.description_text for r in rows], config)
    return {
        r.id: fingerprint(
            r.id,
            organization_id=r.organization_id,
            company=r.company,
            title=r.title,
            location_raw=r.location_raw,
            city=r.city,
            region=r.region,
            country=r.country,
            remote=r.remote,
            url=r.url,
            text=r.description_text,
            config=config,
            printed=tp,
        )
        for r, tp in zip(rows, prints, strict=True)
    }


def _band_rows(
    fps: Sequence[Fingerprint], config: DedupConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`Fingerprint.band_rows` of a batch as (band, key, posting_id) arrays: the MinHash keys
    of all signatures in one numpy operation, attribute keys per posting."""
    if not fps:
        e = np.empty(0, dtype=np.int64)
        return e.astype(np.int16), e, e
    keys, ok = band_key_matrix(np.stack([f.text.signature for f in fps]), config)
    pids = np.fromiter((f.posting_id for f in fps), dtype=np.int64, count=len(fps))
    nb = keys.shape[1]
    band = [np.tile(np.arange(nb, dtype=np.int16), int(ok.sum()))]
    key = [keys[ok].ravel()]
    pid = [np.repeat(pids[ok], nb)]
    ab, ak, ap = [], [], []
    for f in fps:
        for b, k in f.attribute_rows():
            ab.append(b)
            ak.append(k)
            ap.append(f.posting_id)
    band.append(np.array(ab, dtype=np.int16))
    key.append(np.array(ak, dtype=np.int64))
    pid.append(np.array(ap, dtype=np.int64))
    return np.concatenate(band), np.concatenate(key), np.concatenate(pid)


# COPY ... (format binary) rows of dedup_band_keys (band smallint, key bigint, posting_id bigint):
# field count, then length + big-endian value per field. Built by numpy in one go, this is ~50x
# cheaper than turning three Python lists into SQL array parameters.
_COPY_ROW = np.dtype(
    [
        ("n", ">i2"),
        ("lb", ">i4"),
        ("b", ">i2"),
        ("lk", ">i4"),
        ("k", ">i8"),
        ("lp", ">i4"),
        ("p", ">i8"),
    ]
)
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_COPY_TRAILER = b"\xff\xff"


def _copy_band_keys(session: Session, band: np.ndarray, key: np.ndarray, pid: np.ndarray) -> None:
    rows = np.empty(band.size, dtype=_COPY_ROW)
    rows["n"], rows["lb"], rows["lk"], rows["lp"] = 3, 2, 8, 8
    rows["b"], rows["k"], rows["p"] = band, key, pid
    # The session's own psycopg connection: the COPY joins the chunk's transaction.
    raw: Any = session.connection().connection.driver_connection
    with (
        raw.cursor() as cur,
        cur.copy("copy dedup_band_keys (band, key, posting_id) from stdin (format binary)") as cp,
    ):
        cp.write(_COPY_HEADER + rows.tobytes() + _COPY_TRAILER)


def _lock(session: Session, fps: Iterable[Any]) -> None:
    """Advisory locks of the employers of `fps` (anything with organization_id, company_key)."""
    keys: set[int] = set()
    for f in fps:
        if f.organization_id is not None:
            keys.add(hash64("dedup-org", str(f.organization_id)))
        if f.company_key:
            keys.add(hash64("dedup-company", f.company_key))
    if keys:
        # Ascending order in every transaction: no deadlock between two workers.
        session.execute(
            text(
                "select count(pg_advisory_xact_lock(k)) from "
                "(select k from unnest(cast(:k as bigint[])) k order by k offset 0) s"
            ),
            {"k": sorted(keys)},
        )


def _store(
    session: Session,
    fps: Sequence[Fingerprint],
    config: DedupConfig,
    bands: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> None:
    """Write canonical_url/content_hash, the fingerprints and their band keys (idempotent)."""
    if not fps:
        return
    ids = [f.posting_id for f in fps]
    session.execute(
        text(
            "update postings p set canonical_url = v.u, content_hash = v.h "
            "from unnest(cast(:ids as bigint[]), cast(:u as text[]), cast(:h as text[])) "
            "v(id, u, h) where p.id = v.id"
        ),
        {"ids": ids, "u": [f.canonical_url for f in fps], "h": [f.text.content_hash for f in fps]},
    )
    session.execute(
        text(
            "insert into dedup_fingerprints (posting_id, organization_id, company_key, title_key,"
            " location_keys, canonical_url, content_hash, signature, n_shingles, truncated) "
            "select v.id, v.org, v.ck, v.tk,"
            " coalesce(string_to_array(v.lk, chr(31)), cast(array[] as text[])),"
            " v.u, v.h, v.sig, v.n, v.tr"
            " from unnest(cast(:ids as bigint[]), cast(:org as bigint[]), cast(:ck as text[]),"
            " cast(:tk as text[]), cast(:lk as text[]), cast(:u as text[]), cast(:h as text[]),"
            " cast(:sig as bytea[]), cast(:n as int[]), cast(:tr as bool[]))"
            " v(id, org, ck, tk, lk, u, h, sig, n, tr) "
            "on conflict (posting_id) do update set organization_id = excluded.organization_id,"
            " company_key = excluded.company_key, title_key = excluded.title_key,"
            " location_keys = excluded.location_keys, canonical_url = excluded.canonical_url,"
            " content_hash = excluded.content_hash, signature = excluded.signature,"
            " n_shingles = excluded.n_shingles, truncated = excluded.truncated"
        ),
        {
            "ids": ids,
            "org": [f.organization_id for f in fps],
            "ck": [f.company_key for f in fps],
            "tk": [f.title_key for f in fps],
            "lk": ["\x1f".join(sorted(f.location_keys)) if f.location_keys else None for f in fps],
            "u": [f.canonical_url for f in fps],
            "h": [f.text.content_hash for f in fps],
            "sig": [f.text.signature.tobytes() for f in fps],
            "n": [f.text.n_shingles for f in fps],
            "tr": [f.text.truncated for f in fps],
        },
    )
    session.execute(
        text("delete from dedup_band_keys where posting_id = any(cast(:ids as bigint[]))"),
        {"ids": ids},
    )
    # Deleted first and distinct within a posting (ids are distinct): plain COPY, no conflicts.
    band, key, pid = bands if bands is not None else _band_rows(fps, config)
    if pid.size:
        _copy_band_keys(session, band, key, pid)


def _load_fingerprints(session: Session, ids: Iterable[int]) -> dict[int, Fingerprint]:
    ids = sorted(set(ids))
    if not ids:
        return {}
    rows = session.execute(
        text(
            "select posting_id, organization_id, company_key, title_key, location_keys,"
            " canonical_url, content_hash, signature, n_shingles, truncated "
            "from dedup_fingerprints where posting_id = any(cast(:ids as bigint[]))"
        ),
        {"ids": ids},
    )
    return {
        r.posting_id: Fingerprint(
            posting_id=r.posting_id,
            organization_id=r.organization_id,
            company_key=r.company_key,
            title_key=r.title_key,
            location_keys=frozenset(r.location_keys or ()),
            canonical_url=r.canonical_url,
            text=TextPrint(
                r.content_hash,
                np.frombuffer(r.signature, dtype=np.uint32),
                r.n_shingles,
                r.truncated,
            ),
        )
        for r in rows
    }


# The chunk's own band keys, canonical URLs and content hashes are stored first (`_store`), so
# the lookup reads them from the tables by posting id instead of taking them as parameters.
_CANDIDATES = text(
    f"""
    select q.posting_id as me, b.posting_id as other
    from dedup_band_keys q
    cross join lateral (
        select k.posting_id from dedup_band_keys k
        where k.band = q.band and k.key = q.key and k.posting_id <> q.posting_id
        limit {_CAP_PER_KEY}) b
    where q.posting_id = any(cast(:ids as bigint[]))
    union
    select q.id, p.id from postings q
    cross join lateral (
        select id from postings where canonical_url = q.canonical_url and id <> q.id
        limit {_CAP_PER_KEY}) p
    where q.id = any(cast(:ids as bigint[])) and q.canonical_url is not null
    union
    select q.id, p.id from postings q
    cross join lateral (
        select id from postings where content_hash = q.content_hash and id <> q.id
        limit {_CAP_PER_KEY}) p
    where q.id = any(cast(:ids as bigint[])) and q.content_hash is not null
    """
)


def _candidates(session: Session, fps: Sequence[Fingerprint]) -> dict[int, set[int]]:
    """Candidates of stored fingerprints (`_store` ran): same band key, URL or content hash."""
    out: dict[int, set[int]] = {f.posting_id: set() for f in fps}
    rows = session.execute(_CANDIDATES, {"ids": [f.posting_id for f in fps]})
    for me, other in rows:
        out[me].add(other)
    return out


def _decide(posting_id: int, verdicts: list[tuple[Verdict, int]]) -> DedupDecision:
    dups = sorted(
        ((v, o) for v, o in verdicts if v.kind in _RANK),
        key=lambda vo: (_RANK[vo[0].kind], -vo[0].score, vo[1]),
    )
    if dups:
        return DedupDecision(posting_id, "exact", tuple(o for _, o in dups), dups[0][0].reason)
    maybe = sorted(
        ((v, o) for v, o in verdicts if v.kind == "possible"), key=lambda vo: (-vo[0].score, vo[1])
    )
    if maybe:
        return DedupDecision(posting_id, "possible", tuple(o for _, o in maybe), maybe[0][0].reason)
    return DedupDecision(posting_id, "unique")


# --- stages 1-2 -------------------------------------------------------------------------------


def check(
    session: Session, posting_ids: Sequence[int], *, config: DedupConfig = DEFAULT_CONFIG
) -> list[DedupDecision]:
    """Stages 1-2 for a chunk: store fingerprints and band keys, then judge every candidate
    found by index (same canonical URL, content hash, LSH band or attribute key), against the
    stored corpus and the earlier postings of the chunk. Returns one decision per posting."""
    ids = sorted(set(posting_ids))
    if not ids:
        return []
    fps = _fingerprints(session.execute(_ROWS, {"ids": ids}), config)
    missing = set(ids) - fps.keys()
    if missing:
        log.warning("dedup check: %d posting ids not found, skipped", len(missing))
    batch = [fps[i] for i in ids if i in fps]
    _lock(session, batch)
    _store(session, batch, config)
    cands = _candidates(session, batch)
    stored = _load_fingerprints(session, {o for os in cands.values() for o in os if o not in fps})
    decisions = []
    for f in batch:
        verdicts = []
        for o in cands[f.posting_id]:
            # Inside the chunk the later posting points at the earlier one, never both ways.
            if o in fps and o > f.posting_id:
                continue
            other = fps.get(o) or stored.get(o)
            if other is not None:
                verdicts.append((judge(f, other, config), o))
        decisions.append(_decide(f.posting_id, verdicts))
    return decisions


# --- stages 3-4 -------------------------------------------------------------------------------

_KNN = text(
    "select posting_id, 1 - (combined <=> :v) as cos from posting_embeddings "
    "where organization_id = :org and posting_id <> :me order by combined <=> :v limit :k"
)
# `_KNN` for many postings in one round trip (same per-posting query, run laterally).
_KNN_MANY = text(
    "select q.me, n.posting_id, n.cos from unnest(cast(:me as bigint[]), cast(:org as bigint[]),"
    " cast(:v as vector[])) q(me, org, v) cross join lateral ("
    " select posting_id, 1 - (combined <=> q.v) as cos from posting_embeddings"
    " where organization_id = q.org and posting_id <> q.me order by combined <=> q.v limit :k) n"
)


def _vectors(session: Session, ids: Iterable[int]) -> dict[int, np.ndarray]:
    ids = sorted(set(ids))
    if not ids:
        return {}
    rows = session.execute(
        text(
            "select posting_id, combined from posting_embeddings "
            "where posting_id = any(cast(:ids as bigint[]))"
        ),
        {"ids": ids},
    )
    out = {}
    for pid, vec in rows:
        v = np.asarray(vec.to_numpy() if hasattr(vec, "to_numpy") else vec, dtype=np.float32)
        n = float(np.linalg.norm(v))
        out[pid] = v / n if n else v
    return out


def deep_check(
    session: Session, decisions: Sequence[DedupDecision], *, config: DedupConfig = DEFAULT_CONFIG
) -> list[DedupDecision]:
    """Stages 3-4 for the "possible" decisions: nearest neighbours of the combined embedding
    within the organization plus the check's candidates, each judged with attributes, text and
    cosine. Returns final decisions ("exact" or "unique"); others pass through unchanged."""
    possible = [d for d in decisions if d.kind == "possible"]
    if not possible:
        return list(decisions)
    own = _load_fingerprints(session, [d.posting_id for d in possible])
    vectors = _vectors(session, [d.posting_id for d in possible])
    final: dict[int, DedupDecision] = {}
    cosines: dict[int, dict[int, float]] = {}
    knn_me, knn_org, knn_v = [], [], []
    for d in possible:
        me, v = own.get(d.posting_id), vectors.get(d.posting_id)
        if me is None or v is None:
            log.warning("deep check: posting %d has no fingerprint or embedding", d.posting_id)
            final[d.posting_id] = DedupDecision(d.posting_id, "unique")
            continue
        cosines[d.posting_id] = {}
        if me.organization_id is not None:
            knn_me.append(d.posting_id)
            knn_org.append(me.organization_id)
            knn_v.append(v)
    if knn_me:
        for pid, other, c in session.execute(
            _KNN_MANY, {"me": knn_me, "org": knn_org, "v": knn_v, "k": config.semantic_k}
        ):
            cosines[pid][other] = float(c)
    # Vectors and fingerprints of every posting's other candidates: one query each per chunk.
    wanted = {
        pid: set(d.candidates) - cosines[pid].keys()
        for d in possible
        if (pid := d.posting_id) in cosines
    }
    others_v = _vectors(session, {o for os in wanted.values() for o in os})
    others = _load_fingerprints(
        session,
        {
            o
            for d in possible
            if d.posting_id in cosines
            for o in cosines[d.posting_id].keys() | set(d.candidates)
        },
    )
    for d in possible:
        if d.posting_id not in cosines:
            continue
        me, v, cos = own[d.posting_id], vectors[d.posting_id], cosines[d.posting_id]
        for pid in wanted[d.posting_id]:
            w = others_v.get(pid)
            if w is not None:
                cos[pid] = float(w @ v)
        verdicts = [
            (judge(me, others[pid], config, cosine=cos.get(pid)), pid)
            for pid in cos.keys() | set(d.candidates)
            if pid in others
        ]
        decided = _decide(d.posting_id, verdicts)
        if decided.kind != "exact":
            decided = DedupDecision(d.posting_id, "unique")
        final[d.posting_id] = decided
    return [final.get(d.posting_id, d) for d in decisions]


# --- clusters -----------------------------------------------------------------------------------

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


class _UnionFind:
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
    _lock(
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
    uf = _UnionFind()
    for pid, cid in current.items():
        uf.find(("p", pid))
        if cid is not None:
            uf.union(("p", pid), ("c", cid))
    for d in final:
        if d.posting_id in current and d.kind == "exact":
            for c in d.candidates:
                if c in current:
                    uf.union(("p", d.posting_id), ("p", c))

    target: dict[int, int] = {}
    merges: list[tuple[int, int]] = []
    need_new: list[list[int]] = []
    for members in uf.groups().values():
        clusters = sorted(x[1] for x in members if x[0] == "c")
        posts = sorted(x[1] for x in members if x[0] == "p")
        if not clusters:
            need_new.append(posts)
            continue
        for c in clusters[1:]:
            merges.append((c, clusters[0]))
        for p in posts:
            target[p] = clusters[0]
    for posts, cid in zip(need_new, _new_clusters(session, [p[0] for p in need_new]), strict=True):
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
    return ClusterSummary(new_clusters=len(need_new), attached=attached, merged=len(merges))


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
    rows = session.execute(_ROWS, {"ids": list(member_ids)}).all()
    fps = _fingerprints(rows, config)
    _lock(session, fps.values())
    _store(session, list(fps.values()), config)  # texts may have been edited
    vectors = _vectors(session, fps.keys())
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
        uf = _UnionFind()
        for i in ids:
            uf.find(i)
        known = canon.get(cid)
        head = known if known is not None and known in fps else ids[0]
        pairs = (
            [(a, b) for k, a in enumerate(ids) for b in ids[k + 1 :]]
            if len(ids) <= config.revalidate_pairwise_max
            else [(head, b) for b in ids if b != head]
        )
        for a, b in pairs:
            va, vb = vectors.get(a), vectors.get(b)
            cos = float(va @ vb) if va is not None and vb is not None else None
            if judge(fps[a], fps[b], config, cosine=cos).kind in _RANK:
                uf.union(a, b)
        groups = list(uf.groups().values())
        keep = next(g for g in groups if head in g)
        for g in groups:
            gs = set(g)
            if g is not keep:
                split_groups.append(sorted(g))
            for m in members:
                if m.id not in gs or m.dedup_of is None or m.dedup_of in gs:
                    continue
                # Its original left: point at a member of its own group, or stand alone.
                rest = sorted(gs - {m.id})
                fixes.append((m.id, None, rest[0]) if rest else (m.id, "unique", None))
            if len(g) == 1 and g is not keep:
                fixes.append((g[0], "unique", None))
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
