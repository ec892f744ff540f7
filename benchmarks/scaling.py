"""Does ingestion slow down as the corpus grows? Time per posting at 1k, 10k and 100k.

    .venv/bin/python benchmarks/scaling.py                  # levels 1000,10000,100000
    .venv/bin/python benchmarks/scaling.py --levels 1000,10000 --batch 512

The corpus is grown with synthetic copies of the real Ashby postings (../shared/data): fresh
ids, a numbered title and every third word of the text marked, so copies are distinct jobs
with their own shingles (otherwise every new posting would collide with its copies and we
would measure duplicate handling, not corpus size). At each level --repeat fresh batches of
real-like postings are ingested with the same steps (direct mode, no Prefect) and timed per
step; the level's figure is their median (this machine's noise is ±10%).
Ends with `per_posting_ms_1k=<a> per_posting_ms_100k=<b>` (or the largest level run).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ASHBY, StepTimer, commit, fresh_home, require


def _boards() -> list[tuple[str, dict]]:
    out = []
    for f in sorted(require(ASHBY).glob("*.json.gz")):
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            out.append((f.name, json.load(fh)))
    return out


def _mark(text: str | None, tag: str) -> str | None:
    if not text:
        return text
    words = text.split(" ")
    return " ".join(w + tag if i % 3 == 0 and w.isalpha() else w for i, w in enumerate(words))


def synthetic(boards: list[tuple[str, dict]], start: int, count: int, out: Path) -> str:
    """Write `count` distinct synthetic postings (copy numbers from `start`) as Ashby files."""
    out.mkdir(parents=True, exist_ok=True)

    def jobs() -> Iterator[tuple[str, dict, dict]]:
        k = start
        while True:
            for name, data in boards:
                for j in data.get("jobs") or []:
                    tag = f"q{k}"
                    yield name, data, {
                        **j,
                        "id": f"{j['id']}-{tag}",
                        "title": f"{j.get('title')} {k}",
                        "jobUrl": f"{j.get('jobUrl')}?copy={k}",
                        "descriptionHtml": _mark(j.get("descriptionHtml"), tag),
                        "descriptionPlain": None,
                    }
                    k += 1

    files: dict[str, tuple[dict, list[dict]]] = {}
    for _, (name, data, job) in zip(range(count), jobs(), strict=False):
        files.setdefault(name, (data, []))[1].append(job)
    for name, (data, js) in files.items():
        with gzip.open(out / name, "wt", encoding="utf-8") as fh:
            json.dump({**data, "jobs": js}, fh)
    return str(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--levels", default="1000,10000,100000")
    ap.add_argument("--batch", type=int, default=1024, help="postings timed at each level")
    ap.add_argument("--chunk-size", type=int, default=256)
    ap.add_argument("--repeat", type=int, default=3,
                    help="batches timed at each level (median); each joins the corpus, so the "
                         "1k level's batches land on 1k, 2k and 3k postings")
    args = ap.parse_args()
    levels = [int(x) for x in args.levels.split(",")]

    fresh_home("scaling")
    import flows.ingest as fi
    from flows._runtime import configure

    configure()
    boards = _boards()
    work = Path(tempfile.mkdtemp(prefix="hh-bench-scaling-", dir="/tmp"))
    print(f"levels {levels}, batch {args.batch}, commit {commit()}")
    loaded, copy_no, results = 0, 0, {}
    for level in levels:
        while loaded < level:  # grow the corpus (not timed)
            n = min(level - loaded, 5000)
            folder = synthetic(boards, copy_no, n, work / f"load{copy_no}")
            fi.run_direct([folder], "ashby", args.chunk_size)
            loaded += n
            copy_no += n
            print(f"  corpus {loaded}", flush=True)
        pers, tables = [], []
        for _ in range(args.repeat):
            folder = synthetic(boards, copy_no, args.batch, work / f"batch{copy_no}")
            copy_no += args.batch
            steps = StepTimer()
            original = fi._direct
            fi._direct = steps.wrap(original)
            t0 = time.perf_counter()
            counts = fi.run_direct([folder], "ashby", args.chunk_size, parallel_chunks=1)
            seconds = time.perf_counter() - t0
            fi._direct = original
            loaded += counts.get("processed", 0)
            pers.append(1000 * seconds / max(counts.get("processed", 1), 1))
            tables.append((pers[-1], steps.table(counts.get("processed", 0))))
        results[level] = median(pers)
        print(f"\n== corpus {level}: {results[level]:.2f} ms per posting, median of batches at "
              f"{', '.join(f'{x:.2f}' for x in pers)} ({args.batch} postings each)")
        print(sorted(tables)[len(tables) // 2][1], flush=True)  # the median batch's steps
    first, last = levels[0], levels[-1]
    print(f"\nper_posting_ms_{first // 1000}k={results[first]:.2f} "
          f"per_posting_ms_{last // 1000}k={results[last]:.2f}")


if __name__ == "__main__":
    main()
