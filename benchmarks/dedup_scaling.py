"""Time per posting of each dedup stage with 5k and 50k postings already in the database.

    .venv/bin/python benchmarks/dedup_scaling.py                 # 5,000 and 50,000
    .venv/bin/python benchmarks/dedup_scaling.py --sizes 1000 10000

Background corpus: the real dev-set postings (../shared/data/dedup) copied with fresh ids under
another employer per repetition, every third word salted per repetition (so copies are new
jobs, not duplicates of one another, like a corpus of other employers), deduplicated and
clustered through the same API in chunks of 256, with random unit vectors as embeddings.
Measured batch: the 2,360 real dev postings themselves (with their real copies), in chunks of
256: `check` (stages 1-2), `deep_check` (stage 3 forced on every posting: kNN within the
organization), `assign_clusters`. Then EXPLAIN ANALYZE of the candidate and kNN lookups, to
show they are index scans. Last line: `per_posting_ms_5k=<a> per_posting_ms_50k=<b>`
(check + assign, the stages every posting pays).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import SHARED, commit, fresh_home, require

CHUNK = 256


def load_dev() -> list[dict[str, Any]]:
    from hirehound.dedup._attributes import company_key
    from hirehound.text import clean_description

    path = require(SHARED / "dedup" / "postings.jsonl.gz")
    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            p = json.loads(line)
            p["text"] = clean_description(p["description_html"], p["description"]).text
            p["company_key"] = company_key(p["company"])
            rows.append(p)
    return rows


def _salt(text: str, rep: int) -> str:
    words = text.split(" ")
    return " ".join(w + f"r{rep}" if i % 3 == 0 else w for i, w in enumerate(words))


def insert(session: Any, posts: list[dict[str, Any]], rep: int, dim: int) -> list[int]:
    """Insert postings (raw + normalized rows, organizations, embeddings); return ids."""
    from sqlalchemy import text

    names = sorted({p["company_key"] for p in posts})
    orgs = dict(
        session.execute(
            text(
                "insert into organizations (name, normalized_name) "
                "select n, n from unnest(cast(:n as text[])) n "
                "on conflict (normalized_name) do update set name = excluded.name "
                "returning normalized_name, id"
            ),
            {"n": [f"{n} r{rep}" if rep else n for n in names]},
        ).all()
    )
    tag = f"-r{rep}" if rep else ""
    ids = (
        session.execute(
            text(
                "insert into raw_postings (source, source_id, url, payload, record, content_hash) "
                "select s, i, u, '{}'::jsonb, '{}'::jsonb, 'x' from unnest(cast(:s as text[]),"
                " cast(:i as text[]), cast(:u as text[])) v(s, i, u) returning id"
            ),
            {
                "s": [p["source"] for p in posts],
                "i": [p["source_id"] + tag for p in posts],
                "u": [p["url"] + (f"&rep={rep}" if rep else "") for p in posts],
            },
        )
        .scalars()
        .all()
    )
    session.execute(
        text(
            "insert into postings (id, source, source_id, url, title, company, organization_id,"
            " location_raw, description_text, date_posted) "
            "select * from unnest(cast(:id as bigint[]), cast(:s as text[]), cast(:i as text[]),"
            " cast(:u as text[]), cast(:t as text[]), cast(:c as text[]), cast(:o as bigint[]),"
            " cast(:l as text[]), cast(:d as text[]), cast(:dp as timestamptz[]))"
        ),
        {
            "id": ids,
            "s": [p["source"] for p in posts],
            "i": [p["source_id"] + tag for p in posts],
            "u": [p["url"] + (f"&rep={rep}" if rep else "") for p in posts],
            "t": [p["title"] for p in posts],
            "c": [f"{p['company']} r{rep}" if rep else p["company"] for p in posts],
            "o": [orgs[f"{p['company_key']} r{rep}" if rep else p["company_key"]] for p in posts],
            "l": [p["location"] for p in posts],
            "d": [_salt(p["text"], rep) if rep else p["text"] for p in posts],
            "dp": [p["date_posted"] for p in posts],
        },
    )
    rng = np.random.default_rng(rep)
    vecs = rng.normal(size=(len(ids), dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    session.execute(
        text(
            "insert into posting_embeddings (posting_id, organization_id, combined) "
            "select p.id, p.organization_id, cast(v.v as vector) from unnest(cast(:id as bigint[]),"
            " cast(:v as text[])) v(id, v) join postings p on p.id = v.id"
        ),
        {"id": ids, "v": ["[" + ",".join(f"{x:.4f}" for x in row) + "]" for row in vecs]},
    )
    return list(ids)


def background(
    dev: list[dict[str, Any]], have: int, want: int, dim: int, rep: int
) -> tuple[int, int]:
    from hirehound import dedup
    from hirehound.storage import db

    while have < want:
        posts = dev[: min(len(dev), want - have)]
        for i in range(0, len(posts), CHUNK):
            with db.transaction() as s:
                ids = insert(s, posts[i : i + CHUNK], rep, dim)
                dedup.assign_clusters(s, dedup.deep_check(s, dedup.check(s, ids)))
        have += len(posts)
        rep += 1
    return have, rep


def measure(dev: list[dict[str, Any]], dim: int) -> dict[str, float]:
    from sqlalchemy import text

    from hirehound import dedup
    from hirehound.dedup import DedupDecision
    from hirehound.storage import db

    seconds: dict[str, float] = defaultdict(float)
    all_ids: list[int] = []
    kinds: dict[str, int] = defaultdict(int)
    for i in range(0, len(dev), CHUNK):
        with db.transaction() as s:
            ids = insert(s, dev[i : i + CHUNK], 0, dim)
        all_ids += ids
        with db.transaction() as s:
            t0 = time.perf_counter()
            decisions = dedup.check(s, ids)
            seconds["check (stages 1-2)"] += time.perf_counter() - t0
        for d in decisions:
            kinds[d.kind] += 1
        forced = [
            DedupDecision(d.posting_id, "possible", d.candidates, "forced") for d in decisions
        ]
        with db.transaction() as s:
            t0 = time.perf_counter()
            dedup.deep_check(s, forced)
            seconds["deep_check (stage 3, all)"] += time.perf_counter() - t0
        with db.transaction() as s:
            t0 = time.perf_counter()
            dedup.assign_clusters(s, decisions)
            seconds["assign_clusters"] += time.perf_counter() - t0
    per = {k: 1000 * v / len(dev) for k, v in seconds.items()}
    print(f"   decisions of the measured batch: {dict(kinds)}")
    with db.transaction() as s:
        s.execute(text("delete from raw_postings where id = any(:i)"), {"i": all_ids})
        s.execute(
            text(
                "delete from duplicate_clusters c where not exists "
                "(select 1 from postings p where p.cluster_id = c.id)"
            )
        )
    return per


def explain() -> None:
    from sqlalchemy import text

    from hirehound.dedup._check import _CANDIDATES, _KNN
    from hirehound.storage import db

    with db.transaction() as s:
        ids = s.scalars(
            text("select posting_id from dedup_fingerprints order by posting_id desc limit 256")
        ).all()
        # check() stores the chunk's band keys, URLs and hashes first; the lookup reads them.
        params = {"ids": list(ids)}
        plan = s.execute(text("explain (analyze, costs off) " + str(_CANDIDATES)), params)
        lines = [r[0] for r in plan]
        print("   EXPLAIN ANALYZE candidate lookup (256 postings):")
        for ln in lines:
            if any(w in ln for w in ("Scan", "Execution Time", "Loop", "Join")):
                print("     " + ln.strip()[:110])
        row = s.execute(
            text(
                "select posting_id, organization_id, combined from "
                "posting_embeddings order by posting_id desc limit 1"
            )
        ).one()
        plan = s.execute(
            text("explain (analyze, costs off) " + str(_KNN)),
            {"v": row.combined, "org": row.organization_id, "me": row.posting_id, "k": 10},
        )
        print("   EXPLAIN ANALYZE kNN within the organization:")
        for (ln,) in plan:
            if any(w in ln for w in ("Scan", "Execution Time", "Sort", "Limit")):
                print("     " + ln.strip()[:110])
        seq = [ln for ln in lines if "Seq Scan" in ln]
        print(f"   sequential scans in the candidate lookup: {len(seq)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[5_000, 50_000])
    args = ap.parse_args()

    fresh_home("dedup-scaling")
    from flows._runtime import configure

    settings = configure()
    dim = settings.embedding_dim
    dev = load_dev()
    print(f"measured batch: {len(dev)} real dev postings, chunk {CHUNK}, commit {commit()}")
    have, rep = 0, 1
    results: dict[int, dict[str, float]] = {}
    for size in sorted(args.sizes):
        t0 = time.perf_counter()
        have, rep = background(dev, have, size, dim, rep)
        print(
            f"\n== {have} postings in the database (background built in "
            f"{time.perf_counter() - t0:.0f}s)"
        )
        results[size] = measure(dev, dim)
        for k, v in results[size].items():
            print(f"   {k:<28}{v:8.3f} ms/posting")
        explain()
    a, b = min(results), max(results)
    paid = {n: r["check (stages 1-2)"] + r["assign_clusters"] for n, r in results.items()}
    print(f"\nper_posting_ms_{a // 1000}k={paid[a]:.3f} per_posting_ms_{b // 1000}k={paid[b]:.3f}")


if __name__ == "__main__":
    main()
