"""What a task run costs the Prefect API's CPU, with the task-run recorder writing one state
at a time (Prefect's default) and in batches (`hirehound/prefect_env.py`).

    .venv/bin/python benchmarks/recorder_cost.py                # 300 empty tasks, 2 runs each
    .venv/bin/python benchmarks/recorder_cost.py --tasks 100 --repeat 1

Each run starts the CLI's local API (`hirehound.cli._prefect_api`, as `hirehound ingest`
does: no event persister, no triggers) in a new Prefect home, runs a flow of empty tasks
against it in another process, then waits until the API stops using CPU (its recorder
catches up) and reads the API's CPU seconds since the flow began. Needs no data.

Last line: `one_by_one_ms_per_task=… batched_ms_per_task=… ratio=…` (the API's CPU per task
run; medians).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import bench_dir, commit, fresh_home

from hirehound.cli import _prefect_api

ROOT = Path(__file__).resolve().parents[1]
FLOW = """
import sys
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

@task(cache_policy=NO_CACHE, persist_result=False)
def empty(i):
    return i

@flow
def many(n):
    for i in range(n):
        empty(i)

many(int(sys.argv[1]))
"""


# Prefect's own defaults, set explicitly: the environment wins over the local API's batches.
ONE_BY_ONE = {"PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "1",
              "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_READ_BATCH_SIZE": "1",
              "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "5"}


def _cpu_s(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


def one_run(tasks: int, batched: bool, home: Path) -> float:
    """The API's CPU seconds for one flow of `tasks` empty tasks, recorder caught up. The API
    is the one `hirehound ingest` starts (`_prefect_api.start_for_cli`), in a new Prefect
    home, stopped after the run."""
    os.environ.pop("PREFECT_API_URL", None)  # the last run's
    os.environ.update({"PREFECT_HOME": str(home), _prefect_api.IDLE_ENV: "0"})
    for key in ONE_BY_ONE:
        os.environ.pop(key, None)
    if not batched:
        os.environ.update(ONE_BY_ONE)
    api = _prefect_api.start_for_cli()
    assert api is not None and api.process is not None, "PREFECT_API_URL is configured"
    try:
        api.wait()
        time.sleep(1.0)  # its start's last work
        proc = psutil.Process(api.process.pid)
        before = _cpu_s(proc)
        subprocess.run([sys.executable, "-c", FLOW, str(tasks)], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        last = _cpu_s(proc)
        while True:  # the recorder catches up (batches flush every 2 s)
            time.sleep(3.0)
            now = _cpu_s(proc)
            if now - last < 0.03:
                return now - before
            last = now
    finally:
        api.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    fresh_home("recorder-cost")  # the local API's state and lock
    work = bench_dir("recorder-cost")
    figures: dict[bool, list[float]] = {False: [], True: []}
    for i in range(args.repeat):
        for batched in (False, True):  # alternating: both see the same machine
            cpu = one_run(args.tasks, batched, work / f"home-{i}-{int(batched)}")
            figures[batched].append(cpu * 1000 / args.tasks)
            print(f"{'batched' if batched else 'one by one'}: the API's CPU {cpu:.2f} s for "
                  f"{args.tasks} task runs", flush=True)
    one, batch = median(figures[False]), median(figures[True])
    print(f"commit {commit()}")
    print(f"one_by_one_ms_per_task={one:.1f} batched_ms_per_task={batch:.1f} "
          f"ratio={batch / one:.3f}")


if __name__ == "__main__":
    main()
