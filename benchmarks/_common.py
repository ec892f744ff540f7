"""Shared benchmark plumbing: a fresh embedded database, scaled real input, RSS sampling."""

from __future__ import annotations

import atexit
import gzip
import json
import os
import shutil
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


def bench_dir(prefix: str) -> Path:
    """A new folder under /tmp (as root pgserver opens parent folders to its user), deleted
    when the script ends: databases of 1-5 GB each filled the disk when they were kept.
    HIREHOUND_BENCH_KEEP=1 keeps them."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    if not os.environ.get("HIREHOUND_BENCH_KEEP"):
        atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def fresh_home(tag: str) -> Path:
    """A new HIREHOUND_HOME (`bench_dir`)."""
    home = bench_dir(f"hh-bench-{tag}-")
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
    if "uvicorn" in cmd or "_prefect_api" in cmd or ("prefect" in cmd and "server" in cmd):
        return "prefect server"
    if "hirehound" in cmd and " ingest " in f"{cmd} ":
        return "cli process"
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
        self, extra_roots: Callable[[], set[int]] = set, interval: float = 1.0, pss_every: int = 3,
        include_self: bool = True,
    ) -> None:
        self._self = {os.getpid()} if include_self else set()
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
            for p in _tree({*self._self, *self._roots()}):
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


# -- the realistic mix (issue 15) -----------------------------------------------------------

JOBSPY = SHARED / "postings" / "jobspy_israel"
UBER = SHARED / "postings" / "uber_careers.json.gz"
DEDUP_DEV = SHARED / "dedup" / "postings.jsonl.gz"


def _uber_records() -> list[dict[str, Any]]:
    """Uber's careers postings in the generic import shape (the project has no Uber adapter:
    `hirehound ingest` reads them as a generic JSONL file, as a user would convert them)."""
    with gzip.open(require(UBER), "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    out = []
    for j in data.get("jobs") or []:
        url = j.get("url") or ""
        out.append({
            "source": "uber", "source_id": url.rstrip("/").rsplit("/", 1)[-1] or url,
            "url": url, "title": j.get("title"), "company": data.get("name") or "Uber",
            "location": j.get("location") or "; ".join(j.get("locations") or []) or None,
            "description": j.get("description"),
        })
    return out


def realistic_mix(
    out_dir: Path, reposts: int = 1200, seed: int = 15
) -> tuple[list[str], dict[str, int]]:
    """Write the realistic workload once, as files `hirehound ingest` reads; returns the targets
    (in ingestion order) and how many postings of each kind they hold.

    Every source in ../shared/data, mostly postings the project has never seen:
    - the 4,429 real Ashby postings (219 board files, as fetched);
    - ~1,065 JobSpy postings (Glassdoor, LinkedIn, Google, Apple, ...; a few real
      cross-board duplicates among them), as JobSpy writes them;
    - 776 Uber careers postings (Markdown), as a generic JSONL file;
    - the dedup dev set's 860 derived postings (cross-board reposts, edited reposts, scraped
      Markdown and truncated aggregator copies of Ashby postings above, and aggregator-only
      copies), generic JSONL; its 1,500 originals are left out: they are the Ashby postings
      above under the same (source, id);
    - `reposts` Ashby postings re-posted later with fresh ids (exact copies, as in real
      crawls), drawn at random (seeded), in board files read last.
    About a quarter of the postings are duplicates of another.
    """
    import random

    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    ashby_dir = out_dir / "ashby"
    ashby_dir.mkdir(exist_ok=True)
    boards: list[tuple[str, dict[str, Any]]] = []
    ashby_ids: set[str] = set()
    for f in sorted(require(ASHBY).glob("*.json.gz")):
        raw = f.read_bytes()
        (ashby_dir / f.name).write_bytes(raw)
        data = json.loads(gzip.decompress(raw))
        boards.append((f.name, data))
        ashby_ids.update(str(j["id"]) for j in data.get("jobs") or [])
    counts["ashby"] = len(ashby_ids)

    jobspy_dir = out_dir / "jobspy"
    jobspy_dir.mkdir(exist_ok=True)
    n = 0
    for f in sorted(require(JOBSPY).glob("*.json")):
        (jobspy_dir / f.name).write_bytes(f.read_bytes())
        n += len(json.loads(f.read_text(encoding="utf-8")))
    counts["jobspy"] = n

    uber = _uber_records()
    (out_dir / "uber.jsonl").write_text("".join(json.dumps(r) + "\n" for r in uber),
                                        encoding="utf-8")
    counts["uber"] = len(uber)

    with gzip.open(require(DEDUP_DEV), "rt", encoding="utf-8") as fh:
        copies = [r for r in map(json.loads, fh)
                  if not (r["source"] == "ashby" and r["source_id"] in ashby_ids)]
    (out_dir / "dedup_copies.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in copies), encoding="utf-8")
    counts["dedup_copies"] = len(copies)

    rng = random.Random(seed)
    every = [(name, data, j) for name, data in boards for j in data.get("jobs") or []]
    picked = rng.sample(every, min(reposts, len(every)))
    repost_dir = out_dir / "reposts"
    repost_dir.mkdir(exist_ok=True)
    by_board: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for name, data, j in picked:
        by_board.setdefault(name, (data, []))[1].append(
            {**j, "id": f"{j['id']}-repost", "jobUrl": f"{j.get('jobUrl')}?repost=1"})
    for name, (data, jobs) in by_board.items():
        with gzip.open(repost_dir / name, "wt", encoding="utf-8") as fh:
            json.dump({**data, "jobs": jobs}, fh)
    counts["ashby_reposts"] = len(picked)
    targets = [str(ashby_dir), str(jobspy_dir), str(out_dir / "uber.jsonl"),
               str(out_dir / "dedup_copies.jsonl"), str(repost_dir)]
    return targets, counts


# -- a large corpus in seconds (scaling.py, search_latency.py) ----------------------------------

CLONE_OFFSET = 10_000_000  # clone k of posting i has id i + k * CLONE_OFFSET


def clone_corpus(target: int) -> int:
    """Grow the corpus to `target` postings by copying, in SQL, postings the pipeline stored.

    Ingesting 100k postings takes ~20 minutes on this machine; copying takes seconds. Each
    copy round k takes the pipeline's own postings (ids below CLONE_OFFSET) in id order and
    writes them again with: new ids; a new employer per original employer (name + " #k"),
    so employers keep their real sizes and per-employer lookups do not grow with the copies;
    distinct source ids, URLs and content hashes; MinHash and attribute band keys XORed with
    a per-round constant (no copy is a near-duplicate candidate of anything); its own
    duplicate cluster (its original's members become its members); the same search document
    (the same words: posting lists grow as they would with more postings of the same kinds)
    and, in search_vectors, the sum of its original's vector and another posting's (so the
    HNSW graph holds distinct points spread like real ones, not 20 copies of each). Skills,
    embeddings and fingerprints are copied as they are. Returns the corpus size.
    """
    from sqlalchemy import text

    from hirehound.storage import db

    with db.transaction() as s:
        have = s.execute(text("select count(*) from postings")).scalar_one()
        base = s.execute(text("select count(*) from postings where id < :o"),
                         {"o": CLONE_OFFSET}).scalar_one()
        k = s.execute(text("select coalesce(max(id) / :o, 0) from postings"),
                      {"o": CLONE_OFFSET}).scalar_one()
    # The search indexes (GIN, HNSW) are dropped while copying and built again after: one
    # build is several times cheaper than as many single inserts.
    with db.transaction() as s:
        indexes = s.execute(text(
            "select indexname, indexdef from pg_indexes where tablename in "
            "('search_documents', 'search_vectors') and indexdef ~* 'using (gin|hnsw)'")).all()
        for name, _ in indexes:
            s.execute(text(f'drop index "{name}"'))
    try:
        while have < target:
            k += 1
            n = min(base, target - have)
            with db.transaction() as s:
                cutoff = s.execute(text(
                    "select max(id) from (select id from postings where id < :o order by id "
                    "limit :n) x"), {"o": CLONE_OFFSET, "n": n}).scalar_one()
                _clone_round(s, k, cutoff)
            have += n
    finally:
        with db.transaction() as s:
            s.execute(text("set local maintenance_work_mem = '256MB'"))
            for _, ddl in indexes:
                s.execute(text(ddl))
    with db.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("vacuum analyze"))
        # The copy writes GBs; without this the server writes them out (a spread checkpoint,
        # minutes) while the first timed batches run: that is the build's cost, not the size's.
        conn.execute(text("checkpoint"))
        for seq_table in ("raw_postings", "organizations", "duplicate_clusters"):
            conn.execute(text(
                f"select setval(pg_get_serial_sequence('{seq_table}', 'id'), "
                f"(select max(id) from {seq_table}))"))
    return have


def _clone_round(s: Any, k: int, cutoff: int) -> None:
    from sqlalchemy import text

    p = {"k": k, "o": k * CLONE_OFFSET, "base": CLONE_OFFSET, "cut": cutoff,
         "x": (k * 0x9E3779B97F4A7C15) % (2**63)}
    sql = [
        # employers of the copied postings, one new employer per original
        """insert into organizations (id, name, normalized_name, domain, industry, size_bucket)
           select o.id + :o, o.name || ' #' || :k, o.normalized_name || ' ' || :k, o.domain,
                  o.industry, o.size_bucket
           from organizations o where o.id < :base and o.id in (
             select organization_id from postings where id <= :cut)""",
        """insert into raw_postings (id, source, source_id, url, payload, record, content_hash)
           select id + :o, source, source_id || '-c' || :k, url || '#c' || :k, payload, record,
                  md5(content_hash || :k)
           from raw_postings where id <= :cut""",
        """insert into duplicate_clusters (id, canonical_posting_id, size)
           select c.id + :o, c.canonical_posting_id + :o, c.size from duplicate_clusters c
           where c.id < :base and c.canonical_posting_id <= :cut""",
        """insert into postings (
             id, source, source_id, url, canonical_url, title, company,
             organization_id, location_raw, city, region, country, remote, lat,
             lon, employment_type, date_posted, valid_through, salary_min,
             salary_max, salary_currency, salary_period, description_html,
             description_text, description_truncated, content_hash,
             quality_score, quality_missing, spam_score, is_spam, spam_reasons,
             status, status_reason, cluster_id, dedup_kind, dedup_of, step,
             published_at, last_seen_at, created_at, updated_at
           ) select
             id + :o, source, source_id || '-c' || :k, url || '#c' || :k,
             canonical_url || '#c' || :k, title, company || ' #' || :k, organization_id + :o,
             location_raw, city, region, country, remote, lat, lon, employment_type,
             date_posted, valid_through, salary_min, salary_max, salary_currency,
             salary_period, description_html, description_text, description_truncated,
             md5(content_hash || :k), quality_score, quality_missing, spam_score, is_spam,
             spam_reasons, status, status_reason,
             case when exists (select 1 from duplicate_clusters c
                               where c.id = postings.cluster_id + :o) then cluster_id + :o end,
             dedup_kind, dedup_of + :o, step, published_at, last_seen_at, created_at, updated_at
           from postings where id <= :cut""",
        """insert into posting_embeddings
           select posting_id + :o, organization_id + :o, title, description, combined
           from posting_embeddings where posting_id <= :cut""",
        """insert into search_documents (posting_id, document, searchable)
           select posting_id + :o, document, searchable
           from search_documents where posting_id <= :cut""",
        """insert into search_ranks select posting_id + :o, rank_vector
           from search_ranks where posting_id <= :cut""",
        """insert into posting_skills select posting_id + :o, skill_id
           from posting_skills where posting_id <= :cut""",
        """insert into dedup_fingerprints
           select posting_id + :o, organization_id + :o, company_key || ' ' || :k, title_key,
                  location_keys, canonical_url || '#c' || :k, md5(content_hash || :k),
                  signature, n_shingles, truncated
           from dedup_fingerprints where posting_id <= :cut""",
        """insert into dedup_band_keys select band, key # :x, posting_id + :o
           from dedup_band_keys where posting_id <= :cut""",
        # search vectors: the original's plus that of the posting `k` places further on
        """insert into search_vectors (cluster_id, posting_id, embedding)
           select v.cluster_id + :o, v.posting_id + :o, v.embedding + w.embedding
           from (select *, row_number() over (order by cluster_id) as rn from search_vectors s
                 where exists (select 1 from duplicate_clusters c
                               where c.id = s.cluster_id + :o)) v
           join (select embedding, row_number() over (order by cluster_id) as rn
                 from search_vectors where cluster_id < :base) w
             on w.rn = (v.rn + :k * 7) % (select count(*) from search_vectors
                                          where cluster_id < :base) + 1""",
    ]
    for q in sql:
        s.execute(text(q), p)
