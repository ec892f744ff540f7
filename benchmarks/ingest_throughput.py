"""Ingestion as a user runs it: `hirehound ingest` on a realistic mix, through the flow and
`--direct`, cold, against the machine's own limit (floor.py), in one sitting.

    .venv/bin/python benchmarks/ingest_throughput.py                 # the default run
    .venv/bin/python benchmarks/ingest_throughput.py --repeat 1 --start-repeat 1
    .venv/bin/python benchmarks/ingest_throughput.py --start-repeat 0 --no-floor  # pairs only

Input (written once under /tmp, `_common.realistic_mix`): every source in ../shared/data,
mostly postings the project has never seen: 4,429 Ashby postings (219 board files), 1,065
JobSpy postings, 776 Uber postings (generic JSONL), the dedup dev set's 860 derived copies
(cross-board reposts, edited reposts, Markdown and truncated aggregator copies) and 1,200
Ashby postings re-posted with fresh ids: 8,330 postings, about a quarter of them duplicates.

Each run is the CLI in a subprocess, cold: a fresh HIREHOUND_HOME (a new embedded database)
and a fresh PREFECT_HOME (the flow's local Prefect API starts on an empty database), all five
targets in one command; flow and `--direct` alternate, `--repeat` pairs. Times are the
command's wall time, starts and exits included. Memory is the peak of the summed
proportional set size (PSS) of every process involved (the command, its CPU pool, its
Prefect API, PostgreSQL), sampled every 3 s.

Before that, the cold start: one posting through `hirehound ingest` and `--direct` with fresh
homes, then the same command again in each home (`--force`): the second flow command finds
the local API the first one left running (hirehound/cli/_prefect_api.py). Before them, one
flow command on a machine that has never run one (no template of the local API's database:
the first command makes it, in a folder of this run's own; every later new Prefect home
starts from a copy).

Then `floor.py` over the same files: parse, sanitize, embed, fingerprints and a bulk write
only. Last line: `postings_per_s=<flow, median> ratio=<median of flow/direct pairs>
peak_pss_mb=<flow runs> start_gap_s=<cold one-posting flow - direct, median>
warm_start_gap_s=<same, second command> first_start_gap_s=<the first flow command ever -
direct> floor_ratio=<flow rate / floor rate>`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, RssSampler, bench_dir, commit, realistic_mix

HIREHOUND = str(Path(sys.executable).with_name("hirehound"))


def _homes() -> dict[str, str]:
    return {"HIREHOUND_HOME": str(bench_dir("hh-bench-cli-")),
            "PREFECT_HOME": str(bench_dir("hh-bench-prefect-"))}


def _cleanup(homes: dict[str, str]) -> None:
    """Stop what the command left running in these homes: its local Prefect API, PostgreSQL."""
    env = {**os.environ, **homes}
    subprocess.run([sys.executable, "-c", "from hirehound.cli import _prefect_api as a; a.stop()"],
                   env=env, cwd=ROOT, check=False, capture_output=True)
    subprocess.run([HIREHOUND, "db", "stop"], env=env, cwd=ROOT, check=False,
                   capture_output=True)
    for folder in homes.values():  # ~0.8 GB a run; the rest goes at exit
        shutil.rmtree(folder, ignore_errors=True)


def run_cli(mode: str, targets: list[str], homes: dict[str, str] | None = None,
            extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """`hirehound ingest` in a subprocess; wall time, counts, memory and CPU by process."""
    homes = homes or _homes()
    env = {**os.environ, **homes}
    env.pop("PREFECT_API_URL", None)
    env.pop("HIREHOUND_DATABASE_URL", None)
    args = [HIREHOUND, "ingest", *targets, *extra, *(["--direct"] if mode == "direct" else [])]
    pgdata = Path(homes["HIREHOUND_HOME"]) / "pgdata"

    def roots() -> set[int]:
        try:  # the postmaster: its backends are its children (negative while initdb runs)
            pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pid = 0
        return {proc.pid, pid} if pid > 0 else {proc.pid}

    t0 = time.perf_counter()
    proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    with RssSampler(roots, include_self=False) as sampler:
        out, err = proc.communicate()
    seconds = time.perf_counter() - t0
    if proc.returncode:
        print(out[-2000:], err[-5000:])
        sys.exit(f"{mode} run failed ({proc.returncode})")
    counts = json.loads(out.strip().splitlines()[-1])
    return {"mode": mode, "seconds": seconds, "counts": counts, "homes": homes,
            "postings": int(counts.get("processed", 0)),
            "postings_per_s": int(counts.get("processed", 0)) / seconds,
            "peak_pss_mb": sampler.peak_total / 2**20, "rss": sampler.report(),
            "cpu": {k: round(v, 1) for k, v in sorted(sampler.cpu_seconds().items())}}


def one_posting(path: Path) -> list[str]:
    """One real Ashby posting in a board file of its own."""
    import gzip

    from _common import ASHBY

    src = sorted(ASHBY.glob("*.json.gz"))[0]
    with gzip.open(src, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    path.mkdir(parents=True, exist_ok=True)
    out = path / src.name.removesuffix(".gz")
    out.write_text(json.dumps({**data, "jobs": data["jobs"][:1]}), encoding="utf-8")
    return [str(out)]


def cold_start(target: list[str], repeat: int) -> tuple[float, float, float]:
    """(median cold gap, median warm gap, first-ever gap): one posting, flow minus direct,
    seconds. The first-ever flow command finds no Prefect database template (a new machine);
    it leaves one, which every later new Prefect home starts from."""
    homes = _homes()
    first_ever = run_cli("flow", target, homes)["seconds"]
    _cleanup(homes)
    cold, warm, direct_first = [], [], []
    if not repeat:  # development: the template made, no start figures
        return float("nan"), float("nan"), float("nan")
    for rep in range(repeat):
        runs: dict[str, list[float]] = {}
        for mode in ("direct", "flow"):
            homes = _homes()
            first = run_cli(mode, target, homes)["seconds"]
            second = run_cli(mode, target, homes, ("--force",))["seconds"]
            runs[mode] = [first, second]
            _cleanup(homes)
        cold.append(runs["flow"][0] - runs["direct"][0])
        direct_first.append(runs["direct"][0])
        warm.append(runs["flow"][1] - runs["direct"][1])
        print(f"one posting (run {rep + 1}): first command flow {runs['flow'][0]:.1f}s, direct "
              f"{runs['direct'][0]:.1f}s; second command flow {runs['flow'][1]:.1f}s, direct "
              f"{runs['direct'][1]:.1f}s", flush=True)
    print(f"one posting, the first flow command with no Prefect database template: "
          f"{first_ever:.1f}s", flush=True)
    return median(cold), median(warm), first_ever - median(direct_first)


def run_floor(targets: list[str]) -> dict[str, Any]:
    homes = _homes()
    env = {**os.environ, **homes}
    proc = subprocess.run([sys.executable, str(Path(__file__).with_name("floor.py")), *targets],
                          env=env, cwd=ROOT, capture_output=True, text=True)
    _cleanup(homes)
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    if proc.returncode or not last.startswith("floor_postings_per_s="):
        print(proc.stdout[-2000:], proc.stderr[-5000:])
        sys.exit("floor run failed")
    figures = dict(kv.split("=") for kv in last.split())
    return {k: float(v) for k, v in figures.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=2,
                    help="flow/direct pairs on the mix (alternating; figures are medians)")
    ap.add_argument("--start-repeat", type=int, default=2,
                    help="one-posting start pairs (0: none, development)")
    ap.add_argument("--no-floor", action="store_true", help="skip floor.py (development)")
    ap.add_argument("--reposts", type=int, default=1200,
                    help="Ashby postings re-posted with fresh ids (exact duplicates)")
    ap.add_argument("--targets", nargs="+", help="ingest these files instead (development)")
    args = ap.parse_args()

    work = bench_dir("hh-bench-input-")
    if args.targets:
        targets, counts = args.targets, {"given": 0}
    else:
        targets, counts = realistic_mix(work / "mix", args.reposts)
    print(f"input: {sum(counts.values())} postings ({counts}) in {work}; commit {commit()}; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)

    # The template of the local Prefect API's database, in a folder of this run's own (not
    # the user's cache): the first flow command below makes it.
    os.environ["HIREHOUND_PREFECT_TEMPLATE_DIR"] = str(work / "prefect-template")
    cold_gap, warm_gap, first_gap = cold_start(one_posting(work / "one"), args.start_repeat)

    results: dict[str, list[dict[str, Any]]] = {"flow": [], "direct": []}
    for rep in range(args.repeat):
        for mode in ("flow", "direct"):  # alternating: drifting load hits both modes
            r = run_cli(mode, targets)
            _cleanup(r["homes"])
            results[mode].append(r)
            print(f"\n== {mode} (run {rep + 1}): {r['postings']} postings in {r['seconds']:.1f}s "
                  f"= {r['postings_per_s']:.1f} postings/s, load average "
                  f"{os.getloadavg()[0]:.1f}\n   counts: {r['counts']}\n   {r['rss']}\n"
                  f"   CPU seconds by process: {r['cpu']}", flush=True)

    floor = ({"postings": float("nan"), "seconds": float("nan"),
              "floor_postings_per_s": float("nan")} if args.no_floor else run_floor(targets))
    print(f"\n== floor: {floor['postings']:.0f} postings in {floor['seconds']:.1f}s = "
          f"{floor['floor_postings_per_s']:.1f} postings/s")
    flow_s = median(r["seconds"] for r in results["flow"])
    direct_s = median(r["seconds"] for r in results["direct"])
    pairs = [f["seconds"] / d["seconds"]
             for f, d in zip(results["flow"], results["direct"], strict=True)]
    postings = results["flow"][0]["postings"]
    rate = postings / flow_s
    direct_rate = results["direct"][0]["postings"] / direct_s
    print(f"\nflow {flow_s:.1f}s, direct {direct_s:.1f}s (medians of {args.repeat}); ratio of "
          f"each pair: {', '.join(f'{x:.3f}' for x in pairs)}; direct / floor "
          f"{direct_rate / floor['floor_postings_per_s']:.3f}")
    peak = max(r["peak_pss_mb"] for r in results["flow"])
    print(f"\npostings_per_s={rate:.1f} ratio={median(pairs):.3f} peak_pss_mb={peak:.0f} "
          f"start_gap_s={cold_gap:.1f} warm_start_gap_s={warm_gap:.1f} "
          f"first_start_gap_s={first_gap:.1f} "
          f"floor_ratio={rate / floor['floor_postings_per_s']:.3f}")


if __name__ == "__main__":
    main()
