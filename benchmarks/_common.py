"""Shared benchmark plumbing: a fresh embedded database, scaled real input, RSS sampling."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
ASHBY = SHARED / "postings" / "ashby"


def require(path: Path) -> Path:
    if not path.exists():
        sys.exit(f"benchmark input not found: {path} (needs ../shared/data)")
    return path


def truncate_all() -> None:
    """Empty every Hirehound table and vacuum: each timed run starts from the same state."""
    from sqlalchemy import text

    from hirehound.storage import db
    from hirehound.storage.models import Base

    tables = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name != "hirehound_meta")
    with db.transaction() as session:
        session.execute(text(f"truncate {tables} restart identity cascade"))
    with db.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("vacuum analyze"))


def commit() -> str:
    try:
        return subprocess.check_output(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True
        ).strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def fresh_home(tag: str) -> Path:
    """A new HIREHOUND_HOME under /tmp (as root pgserver opens parent folders to its user)."""
    home = Path(tempfile.mkdtemp(prefix=f"hh-bench-{tag}-", dir="/tmp"))
    os.environ["HIREHOUND_HOME"] = str(home)
    os.environ.pop("HIREHOUND_DATABASE_URL", None)
    return home


def scaled_ashby(target: int, out_dir: Path) -> tuple[list[str], int]:
    """Copy the real Ashby responses until `target` postings, giving copies fresh job ids.

    Returns one folder per repetition (board files keep their names: the employer comes from
    the board name) and the number of postings written.
    """
    files = sorted(require(ASHBY).glob("*.json.gz"))
    boards = []
    for f in files:
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            boards.append((f.name, json.load(fh)))
    written, rep, folders = 0, 0, []
    while written < target:
        folder = out_dir / f"rep{rep:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in boards:
            jobs = data.get("jobs") or []
            room = target - written
            if room <= 0:
                break
            jobs = jobs[:room]
            if rep:
                jobs = [{**j, "id": f"{j['id']}-r{rep}", "jobUrl": f"{j.get('jobUrl')}?r={rep}"}
                        for j in jobs]
            with gzip.open(folder / name, "wt", encoding="utf-8") as fh:
                json.dump({**data, "jobs": jobs}, fh)
            written += len(jobs)
        folders.append(str(folder))
        rep += 1
    return folders, written


def _tree(pids: set[int]) -> list[psutil.Process]:
    procs: dict[int, psutil.Process] = {}
    for pid in pids:
        try:
            p = psutil.Process(pid)
            procs[p.pid] = p
            for c in p.children(recursive=True):
                procs[c.pid] = c
        except psutil.Error:
            pass
    return list(procs.values())


def _role(p: psutil.Process) -> str:
    """Which part of the system a process is: ours, the CPU pool, Prefect's server, PostgreSQL."""
    if p.pid == os.getpid():
        return "flow process"
    name = p.name()
    if name.startswith("postgres"):
        return "postgresql"
    cmd = " ".join(p.cmdline())
    if "uvicorn" in cmd or ("prefect" in cmd and "server" in cmd):
        return "prefect server"
    if "multiprocessing" in cmd or "forkserver" in cmd:
        return "cpu pool"
    return name


class RssSampler:
    """Peak memory of every process involved (ours, our children, the database server tree).

    Per process name: the largest single RSS and the peak RSS sum. The total is PSS
    (proportional set size): PostgreSQL backends all map the same shared buffers, so a sum of
    their RSS counts that memory once per backend.
    """

    def __init__(
        self, extra_roots: Callable[[], set[int]] = set, interval: float = 1.0, pss_every: int = 3
    ) -> None:
        self.peak: dict[str, int] = defaultdict(int)
        self.peak_single: dict[str, int] = defaultdict(int)
        self.peak_total = 0  # PSS sum over all processes
        self.peak_rss_sum = 0
        self.pss_at_peak: dict[str, int] = {}
        self.main_rss: list[int] = []  # this process's RSS at every tick: does it grow?
        # CPU seconds per process (first and last sample), grouped by role at the end.
        self._cpu_first: dict[int, float] = {}
        self._cpu_last: dict[int, tuple[str, float]] = {}
        self._started = time.time()
        self._roots = extra_roots
        self._interval = interval
        self._pss_every = pss_every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        tick = 0
        while not self._stop.is_set():
            # PSS reads /proc/<pid>/smaps_rollup, which walks every page table: ~70 ms of CPU
            # for this set of processes, so it is sampled every `pss_every` ticks; RSS is cheap.
            full = tick % self._pss_every == 0
            tick += 1
            total = rss_sum = 0
            per: dict[str, int] = defaultdict(int)
            pss: dict[str, int] = defaultdict(int)
            for p in _tree({os.getpid(), *self._roots()}):
                try:
                    info = p.memory_full_info() if full else p.memory_info()
                    name = "python(main)" if p.pid == os.getpid() else p.name()
                    cpu = sum(p.cpu_times()[:4])  # user, system, children's user/system
                    role = _role(p)
                except psutil.Error:
                    continue
                if p.pid not in self._cpu_first:  # a process started since: all of its CPU
                    self._cpu_first[p.pid] = cpu if p.create_time() < self._started else 0.0
                self._cpu_last[p.pid] = (role, cpu)
                per[name] += info.rss
                self.peak_single[name] = max(self.peak_single[name], info.rss)
                rss_sum += info.rss
                total += getattr(info, "pss", 0)
                pss[role] += getattr(info, "pss", 0)
            for k, v in per.items():
                self.peak[k] = max(self.peak[k], v)
            if full and total > self.peak_total:
                self.peak_total = total
                self.pss_at_peak = dict(pss)
            self.peak_rss_sum = max(self.peak_rss_sum, rss_sum)
            self.main_rss.append(per.get("python(main)", 0))
            self._stop.wait(self._interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds each role used while sampling (user + system)."""
        out: dict[str, float] = defaultdict(float)
        for pid, (role, last) in self._cpu_last.items():
            out[role] += last - self._cpu_first.get(pid, 0.0)
        return dict(out)

    def report(self) -> str:
        parts = ", ".join(
            f"{k} {v / 2**20:.0f} MB (largest {self.peak_single[k] / 2**20:.0f})"
            for k, v in sorted(self.peak.items())
        )
        quarters = [self.main_rss[min(len(self.main_rss) - 1, len(self.main_rss) * q // 4)]
                    for q in (1, 2, 3, 4)] if self.main_rss else []
        growth = "/".join(f"{v / 2**20:.0f}" for v in quarters)
        by_role = ", ".join(f"{k} {v / 2**20:.0f}" for k, v in sorted(self.pss_at_peak.items()))
        return (f"peak PSS total {self.peak_total / 2**20:.0f} MB ({by_role}), peak RSS sum "
                f"{self.peak_rss_sum / 2**20:.0f} MB; RSS by process name: {parts}; this "
                f"process's RSS at 1/4, 1/2, 3/4 and the end of the run: {growth} MB")


class StepTimer:
    """Wall time per task name, by wrapping the flow's task-call function."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def wrap(self, call: Callable[..., Any]) -> Callable[..., Any]:
        def timed(task: Any, *args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return call(task, *args, **kwargs)
            finally:
                name = getattr(task, "name", None) or getattr(task, "__name__", "?")
                self.seconds[name] += time.perf_counter() - t0
                self.calls[name] += 1

        return timed

    def table(self, postings: int) -> str:
        lines = [f"  {'step':<22}{'calls':>7}{'total s':>10}{'ms/posting':>12}"]
        for name, sec in sorted(self.seconds.items(), key=lambda kv: -kv[1]):
            per = 1000 * sec / max(postings, 1)
            lines.append(f"  {name:<22}{self.calls[name]:>7}{sec:>10.2f}{per:>12.3f}")
        return "\n".join(lines)


@contextmanager
def timer() -> Iterator[Callable[[], float]]:
    t0 = time.perf_counter()
    yield lambda: time.perf_counter() - t0
