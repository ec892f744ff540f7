"""Does ingestion slow down as the corpus grows? Time per posting at 1k, 10k and 100k.

    .venv/bin/python benchmarks/scaling.py                  # levels 1000,10000,100000
    .venv/bin/python benchmarks/scaling.py --levels 1000,10000 --batch 512

Timed: at each level, --repeat fresh batches of --batch new postings go through the
`ingest_postings` flow (chunks of --chunk-size, one in flight, Prefect's API a local server
of its own: hirehound/cli/_prefect_api.py) and each batch's wall time per posting is taken;
the level's figure is their median (this machine's noise is ±10%). The batches are
synthetic copies of the real Ashby postings (../shared/data): fresh ids, a numbered title
and every third word of the text marked, so they are new, distinct jobs of the real
employers (otherwise they would collide with each other and we would measure duplicate
handling, not corpus size).

Not timed, the corpus: the first level's postings are ingested the same way without Prefect
(`run_direct`); larger levels are reached by copying the postings the pipeline stored, in
SQL (`_common.clone_corpus`: new ids, employers, URLs, content hashes and MinHash keys, the
same search documents, mixed search vectors), which takes seconds instead of the ~20
minutes 100k postings take to ingest. The timed batches join the corpus, so the 1k level's
land on 1k, 2k and 3k postings.
Ends with `per_posting_ms_1k=<a> per_posting_ms_100k=<b> ratio=<b/a>` (or the largest level).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ASHBY, StepTimer, bench_dir, clone_corpus, commit, fresh_home, require


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
    os.environ["PREFECT_HOME"] = str(bench_dir("hh-bench-prefect-"))
    os.environ["HIREHOUND_PREFECT_API_IDLE_S"] = "0"  # stops with this process
    from hirehound.cli import _prefect_api

    api = _prefect_api.start_for_cli()  # before Prefect is imported: it reads its settings once
    import flows.ingest as fi
    from flows._runtime import configure

    configure()
    if api is not None:
        api.wait()
    boards = _boards()
    work = bench_dir("hh-bench-scaling-")
    print(f"levels {levels}, batch {args.batch}, commit {commit()}, load average "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    loaded, copy_no, results = 0, 0, {}
    try:
        for level in levels:
            t0 = time.perf_counter()
            if loaded == 0:
                folder = synthetic(boards, copy_no, level, work / "base")
                loaded = fi.run_direct([folder], "ashby", args.chunk_size)["processed"]
                copy_no += level
                # The first flow run of a process pays one-time costs (task imports, the CPU
                # pool, models); a small run takes them, not the first timed batch.
                warm = synthetic(boards, copy_no, 64, work / "warm")
                loaded += fi.ingest_postings(targets=[warm], source="ashby")["processed"]
                copy_no += 64
            elif loaded < level:
                loaded = clone_corpus(level)
            print(f"  corpus {loaded} ({time.perf_counter() - t0:.0f}s to build)", flush=True)
            pers, tables = [], []
            for _ in range(args.repeat):
                folder = synthetic(boards, copy_no, args.batch, work / f"batch{copy_no}")
                copy_no += args.batch
                steps = StepTimer()
                original = fi._prefect
                fi._prefect = steps.wrap(original)
                t0 = time.perf_counter()
                counts = fi.ingest_postings(targets=[folder], source="ashby",
                                            chunk_size=args.chunk_size, parallel_chunks=1)
                seconds = time.perf_counter() - t0
                fi._prefect = original
                done = int(counts.get("processed", 0))
                loaded += done
                pers.append(1000 * seconds / max(done, 1))
                tables.append((pers[-1], steps.table(done)))
            results[level] = median(pers)
            print(f"\n== corpus {level}: {results[level]:.2f} ms per posting, median of batches "
                  f"at {', '.join(f'{x:.2f}' for x in pers)} ({args.batch} postings each), "
                  f"load average {os.getloadavg()[0]:.1f}")
            print(sorted(tables)[len(tables) // 2][1], flush=True)  # the median batch's steps
    finally:
        if api is not None:
            api.close()
    first, last = levels[0], levels[-1]
    print(f"\nper_posting_ms_{first // 1000}k={results[first]:.2f} "
          f"per_posting_ms_{last // 1000}k={results[last]:.2f} "
          f"ratio={results[last] / results[first]:.3f}")


if __name__ == "__main__":
    main()
