"""Dedup quality on the labeled dev set plus noisy copies, split by employer into tune and test.

    .venv/bin/python benchmarks/dedup_eval.py --mode direct          # report (shipped config)
    .venv/bin/python benchmarks/dedup_eval.py --mode direct --tune   # choose thresholds on tune
    .venv/bin/python benchmarks/dedup_eval.py                        # through the Prefect flow

Input: ../shared/data/dedup/postings.jsonl.gz (2,360 postings) and, for every real original,
one noisy copy of it or of one of its derived copies, with one noise class of
`hirehound.dedup.noise` (round robin; copies the noise leaves unchanged are dropped) and an
aggregator URL of its own. Everything is ingested through the real ingestion steps into a
fresh embedded database.

Split: employers (boards) by a hash of the board name, half tune, half test. `--tune` runs the
ingestion once per candidate value of the text thresholds (one at a time around the shipped
config) and scores the tune half only; the shipped values are chosen from that table
(hirehound/dedup/_config.py says how). The report prints, for tune and test separately:
pairwise P/R/F1 (pairs with both postings in the half), recall per duplicate type of the dev
set and per noise class, false-merge pairs that involve a noisy copy; then the dev set's own
scorer over all of it (in-sample for the dev set: the shipped thresholds predate the split).
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import hashlib
import json
import subprocess
import sys
import time
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import SHARED, commit, fresh_home, require, truncate_all

from hirehound.dedup import DEFAULT_CONFIG, DedupConfig
from hirehound.dedup.noise import NOISE, add_noise

DEDUP = SHARED / "dedup"
NOISY_SOURCE = "noisy"
# Candidate values per threshold for --tune (one varied at a time, the others as shipped).
GRID: dict[str, list[float]] = {
    "near_jaccard": [0.4, 0.5, 0.6],
    "near_containment": [0.7, 0.8, 0.9],
    "semantic_cosine": [0.88, 0.92, 0.95],
}


def split_of(board: str) -> str:
    """Deterministic employer split: "tune" or "test"."""
    return "tune" if hashlib.blake2b(board.encode(), digest_size=2).digest()[0] % 2 == 0 else "test"


def build_set(out: Path) -> tuple[dict[tuple[str, str], dict[str, Any]], Path]:
    """Write dev postings + noisy copies to `out`; return per-posting truth (cluster, split,
    type, noise class, original)."""
    with gzip.open(require(DEDUP / "postings.jsonl.gz"), "rt", encoding="utf-8") as fh:
        postings = [json.loads(line) for line in fh]
    with gzip.open(DEDUP / "types.jsonl.gz", "rt", encoding="utf-8") as fh:
        types = {(t["source"], t["source_id"]): t for t in map(json.loads, fh)}
    truth: dict[tuple[str, str], dict[str, Any]] = {}
    # `of`: the [source, source_id] of the original a copy was derived from.
    by_key = {(p["source"], p["source_id"]): p for p in postings}
    derived: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for k, t in types.items():
        original = tuple(t["of"]) if t["of"] else None
        if original is not None and t["type"] not in ("original", "orphan"):
            derived[original].append(k)
        truth[k] = {"cluster": t["cluster"], "split": split_of(t["board"]), "type": t["type"],
                    "noise": None, "original": original}
    kinds = sorted(NOISE)
    noisy = []
    originals = sorted(k for k, t in types.items() if t["type"] == "original")
    for i, k in enumerate(originals):
        kind = kinds[i % len(kinds)]
        seed = int(hashlib.blake2b(k[1].encode(), digest_size=4).hexdigest(), 16)
        bases = [k, *sorted(derived.get(k, []))]
        base = bases[seed % len(bases)]
        rec = by_key[base]
        copy = add_noise(rec, kind, seed)
        if copy == rec:
            continue
        sid = f"{base[1]}-{kind}"
        copy.update(source=NOISY_SOURCE, source_id=sid,
                    url=f"https://jobboard-n.example.com/jobs/{seed}?utm_source=feed")
        noisy.append(copy)
        truth[(NOISY_SOURCE, sid)] = {
            "cluster": truth[k]["cluster"], "split": truth[k]["split"], "type": "noisy",
            "noise": kind, "original": k,
        }
    with gzip.open(out, "wt", encoding="utf-8") as fh:
        for p in postings + noisy:
            fh.write(json.dumps(p) + "\n")
    return truth, out


def score(
    truth: dict[tuple[str, str], dict[str, Any]], predicted: dict[tuple[str, str], Any], part: str
) -> dict[str, Any]:
    """Pairwise P/R/F1 over postings of one split, recall per type and noise class."""
    keys = [k for k, t in truth.items() if t["split"] == part]
    gold_groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    pred_groups: dict[Any, list[tuple[str, str]]] = defaultdict(list)
    for k in keys:
        gold_groups[truth[k]["cluster"]].append(k)
        pred_groups[predicted.get(k, ("single", k))].append(k)
    gold_pairs = {frozenset(p) for g in gold_groups.values() for p in combinations(g, 2)}
    pred_pairs = {frozenset(p) for g in pred_groups.values() for p in combinations(g, 2)}
    tp = len(gold_pairs & pred_pairs)
    p = tp / len(pred_pairs) if pred_pairs else 1.0
    r = tp / len(gold_pairs) if gold_pairs else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    hit: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for k in keys:
        t = truth[k]
        if t["original"] is None or t["type"] in ("original", "orphan"):
            continue
        cls = f"noise:{t['noise']}" if t["noise"] else f"type:{t['type']}"
        total[cls] += 1
        same = predicted.get(k) is not None and predicted.get(k) == predicted.get(t["original"])
        hit[cls] += same
    false_noisy = sum(
        1 for pair in pred_pairs - gold_pairs if any(truth[x]["noise"] for x in pair)
    )
    return {"p": p, "r": r, "f1": f1, "pairs": len(gold_pairs), "hit": hit, "total": total,
            "false_noisy": false_noisy, "postings": len(keys)}


def set_config(config: DedupConfig) -> None:
    """Make `config` the default of the dedup entry points for this process (benchmark only:
    the ingestion steps call them with their defaults)."""
    from hirehound.dedup import _check, _clusters

    for fn in (_check.check, _check.deep_check, _clusters.assign_clusters,
               _clusters.refresh_canonical, _clusters.revalidate_clusters):
        assert fn.__kwdefaults__ is not None
        fn.__kwdefaults__["config"] = config


def run(postings: Path, mode: str, chunk_size: int) -> tuple[dict[tuple[str, str], Any], float]:
    """Ingest into the (emptied) database; return posting -> cluster id."""
    from sqlalchemy import text

    import flows.ingest as fi
    from hirehound.storage import db

    truncate_all()
    t0 = time.perf_counter()
    if mode == "flow":
        fi.ingest_postings(targets=[str(postings)], source="generic", chunk_size=chunk_size)
    else:
        fi.run_direct([str(postings)], "generic", chunk_size)
    seconds = time.perf_counter() - t0
    with db.transaction() as s:
        rows = s.execute(text("select source, source_id, cluster_id from postings")).all()
    return {(a, b): c for a, b, c in rows}, seconds


def print_report(name: str, res: dict[str, Any]) -> None:
    print(f"{name}: postings={res['postings']} gold pairs={res['pairs']} "
          f"pairwise P={res['p']:.3f} R={res['r']:.3f} F1={res['f1']:.3f} "
          f"false-merge pairs with a noisy copy={res['false_noisy']}")
    for cls in sorted(res["total"]):
        print(f"  recall {cls:28s} {res['hit'][cls] / res['total'][cls]:.3f} "
              f"({res['hit'][cls]}/{res['total'][cls]})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", choices=["flow", "direct"], default="flow")
    ap.add_argument("--chunk-size", type=int, default=256)
    ap.add_argument("--tune", action="store_true", help="choose thresholds on the tune split")
    args = ap.parse_args()

    home = fresh_home("dedup-eval")
    truth, postings = build_set(home / "eval.jsonl.gz")
    from flows._runtime import configure

    configure()
    n_noisy = Counter(t["noise"] for t in truth.values() if t["noise"])
    print(f"input: {len(truth)} postings ({sum(n_noisy.values())} noisy copies: "
          f"{dict(sorted(n_noisy.items()))}); {args.mode} mode, commit {commit()}")
    print(f"split by employer: tune {sum(t['split'] == 'tune' for t in truth.values())}, "
          f"test {sum(t['split'] == 'test' for t in truth.values())} postings")

    if args.tune:
        seen: dict[tuple[str, float], dict[str, Any]] = {}
        print("\ntune split only (one threshold varied, the others as shipped):")
        for name, values in GRID.items():
            for v in values:
                cfg = dataclasses.replace(DEFAULT_CONFIG, **{name: v})
                if cfg == DEFAULT_CONFIG and ("shipped", 0.0) in seen:
                    print(f"  {name}={v} (shipped): as above")
                    continue
                set_config(cfg)
                predicted, secs = run(postings, args.mode, args.chunk_size)
                res = score(truth, predicted, "tune")
                seen[("shipped", 0.0) if cfg == DEFAULT_CONFIG else (name, v)] = res
                noisy = sum(c for k, c in res["hit"].items() if k.startswith("noise:"))
                noisy_n = sum(c for k, c in res["total"].items() if k.startswith("noise:"))
                shipped = " (shipped)" if getattr(DEFAULT_CONFIG, name) == v else ""
                print(f"  {name}={v}{shipped}: P={res['p']:.3f} R={res['r']:.3f} "
                      f"F1={res['f1']:.3f} noisy recall={noisy / max(noisy_n, 1):.3f} "
                      f"({secs:.0f}s)")
        set_config(DEFAULT_CONFIG)
        return

    predicted, secs = run(postings, args.mode, args.chunk_size)
    print(f"ingested in {secs:.1f}s\n")
    for part in ("tune", "test"):
        print_report(part, score(truth, predicted, part))
    out = home / "predictions.jsonl"
    with out.open("w", encoding="utf-8") as fh:
        for (source, sid), cid in predicted.items():
            if source != NOISY_SOURCE:
                fh.write(json.dumps({"source": source, "source_id": sid, "cluster_id": cid}) + "\n")
    print("\ndev set's own scorer (all employers, noisy copies excluded):")
    proc = subprocess.run(
        [sys.executable, str(DEDUP / "score_dedup.py"), str(DEDUP / "labels.jsonl"), str(out)],
        capture_output=True, text=True,
    )
    print(proc.stdout.rstrip())
    if proc.stderr.strip():
        print(proc.stderr.rstrip(), file=sys.stderr)


if __name__ == "__main__":
    main()
