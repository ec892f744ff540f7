"""Dedup stages 1-4 over PostgreSQL: candidates by index, judged pairwise.

Every lookup is keyed (`dedup_band_keys` (band, key), `postings.canonical_url`,
`postings.content_hash`, `posting_embeddings.organization_id`), and each key's hit list is
capped, so the cost per posting does not grow with the corpus.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import text
from sqlalchemy.orm import Session

from hirehound.dedup._config import DEFAULT_CONFIG, DedupConfig
from hirehound.dedup._fingerprints import (
    POSTING_ROWS,
    compute_fingerprints,
    load_fingerprints,
    load_vectors,
    lock_employers,
    store_fingerprints,
)
from hirehound.dedup._judge import DUPLICATE_RANK, Fingerprint, Verdict, judge

log = logging.getLogger(__name__)

# Most candidates one band key may contribute (a boilerplate-only text shared by hundreds of
# postings must not make one lookup return the whole employer).
_CAP_PER_KEY = 50


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


# The chunk's own band keys, canonical URLs and content hashes are stored first
# (`store_fingerprints`), so the lookup reads them from the tables by posting id instead of
# taking them as parameters.
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
    """Candidates of stored fingerprints (`store_fingerprints` ran): same band key, URL or
    content hash."""
    out: dict[int, set[int]] = {f.posting_id: set() for f in fps}
    rows = session.execute(_CANDIDATES, {"ids": [f.posting_id for f in fps]})
    for me, other in rows:
        out[me].add(other)
    return out


def _decide(posting_id: int, verdicts: list[tuple[Verdict, int]]) -> DedupDecision:
    dups = sorted(
        ((v, o) for v, o in verdicts if v.kind in DUPLICATE_RANK),
        key=lambda vo: (DUPLICATE_RANK[vo[0].kind], -vo[0].score, vo[1]),
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
    fps = compute_fingerprints(session.execute(POSTING_ROWS, {"ids": ids}), config)
    missing = set(ids) - fps.keys()
    if missing:
        log.warning("dedup check: %d posting ids not found, skipped", len(missing))
    batch = [fps[i] for i in ids if i in fps]
    lock_employers(session, batch)
    store_fingerprints(session, batch, config)
    cands = _candidates(session, batch)
    stored = load_fingerprints(session, {o for os in cands.values() for o in os if o not in fps})
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




def deep_check(
    session: Session, decisions: Sequence[DedupDecision], *, config: DedupConfig = DEFAULT_CONFIG
) -> list[DedupDecision]:
    """Stages 3-4 for the "possible" decisions: nearest neighbours of the combined embedding
    within the organization plus the check's candidates, each judged with attributes, text and
    cosine. Returns final decisions ("exact" or "unique"); others pass through unchanged."""
    possible = [d for d in decisions if d.kind == "possible"]
    if not possible:
        return list(decisions)
    own = load_fingerprints(session, [d.posting_id for d in possible])
    vectors = load_vectors(session, [d.posting_id for d in possible])
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
    others_v = load_vectors(session, {o for os in wanted.values() for o in os})
    others = load_fingerprints(
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
