"""Parse throughput of the source adapters on the real Ashby dev data (4,429 postings).

    .venv/bin/python benchmarks/parse_sources.py [--data ../shared/data] [--repeat 3]

Prints one line per measurement: end to end (read .json.gz files, decompress, JSON, map,
derive employer names) and mapping only (payloads already in memory), best of N runs.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import time
from pathlib import Path

from hirehound.settings import Settings
from hirehound.sources import parse_payload, read_postings

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = args.data / "postings" / "ashby"
    files = sorted(folder.glob("*.json.gz"))
    size = sum(f.stat().st_size for f in files)
    settings = Settings()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()

    best, count = float("inf"), 0
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        count = sum(1 for _ in read_postings(str(folder), settings=settings))
        best = min(best, time.perf_counter() - t0)
    print(
        f"sources end-to-end (files): {count / best:,.0f} postings/s "
        f"({count} postings, {len(files)} files, {size / 1e6:.1f} MB gz, {best:.2f} s)"
    )

    docs = [(f.name, json.loads(gzip.decompress(f.read_bytes()))) for f in files]
    best = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        count = sum(1 for name, doc in docs for _ in parse_payload("ashby", doc, origin=name))
        best = min(best, time.perf_counter() - t0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"sources mapping only (in memory): {count / best:,.0f} postings/s "
        f"({best * 1e6 / count:.0f} us/posting, peak RSS {rss:.0f} MB, commit {commit})"
    )


if __name__ == "__main__":
    main()
