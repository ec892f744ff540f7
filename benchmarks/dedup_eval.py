"""Dedup quality on the labeled dev set, ingested through the real ingestion flow.

    .venv/bin/python benchmarks/dedup_eval.py                 # through the Prefect flow
    .venv/bin/python benchmarks/dedup_eval.py --mode direct   # same steps without Prefect

Input: ../shared/data/dedup/postings.jsonl.gz (2,360 postings, generic JSONL import) into a
fresh embedded database with the default local embedding. Exports each posting's cluster to
predictions.jsonl and scores it with the set's own scorer (score_dedup.py), printing all its
figures (pairwise P/R/F1, B-cubed, recall per duplicate type, false merges per hard-negative
kind), then the stages that decided (postings.dedup_kind) and the commit.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import SHARED, commit, fresh_home, require

DEDUP = SHARED / "dedup"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", choices=["flow", "direct"], default="flow")
    ap.add_argument("--chunk-size", type=int, default=256)
    ap.add_argument("--out", type=Path, default=None, help="predictions.jsonl path")
    args = ap.parse_args()

    postings = require(DEDUP / "postings.jsonl.gz")
    home = fresh_home("dedup-eval")
    out = args.out or home / "predictions.jsonl"

    from sqlalchemy import text

    import flows.ingest as fi
    from flows._runtime import configure
    from hirehound.storage import db

    configure()
    t0 = time.perf_counter()
    if args.mode == "flow":
        counts = fi.ingest_postings(
            targets=[str(postings)], source="generic", chunk_size=args.chunk_size
        )
    else:
        counts = fi.run_direct([str(postings)], "generic", args.chunk_size)
    seconds = time.perf_counter() - t0

    with db.transaction() as s, out.open("w", encoding="utf-8") as fh:
        rows = s.execute(text("select source, source_id, cluster_id from postings order by id"))
        n = 0
        for source, source_id, cluster_id in rows:
            fh.write(
                json.dumps({"source": source, "source_id": source_id, "cluster_id": cluster_id})
                + "\n"
            )
            n += 1
        kinds = dict(
            s.execute(
                text("select coalesce(dedup_kind, 'none'), count(*) from postings group by 1")
            ).all()
        )
        clusters = s.execute(
            text(
                "select count(*), count(*) filter (where size > 1), max(size) "
                "from duplicate_clusters"
            )
        ).one()
    print(f"input: {postings} ({args.mode} mode, chunk {args.chunk_size}, commit {commit()})")
    print(f"ingested in {seconds:.1f}s: {counts}")
    print(f"exported {n} postings to {out}")
    print(f"dedup_kind: {kinds}")
    print(f"clusters: {clusters[0]} ({clusters[1]} with copies, largest {clusters[2]})")
    print()
    proc = subprocess.run(
        [sys.executable, str(DEDUP / "score_dedup.py"), str(DEDUP / "labels.jsonl"), str(out)],
        capture_output=True,
        text=True,
    )
    print(proc.stdout.rstrip())
    if proc.stderr.strip():
        print(proc.stderr.rstrip(), file=sys.stderr)


if __name__ == "__main__":
    main()
