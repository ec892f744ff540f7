"""An exact copy inherits from its original the same whichever chunk gets there first.

Two chunks in flight, the original in the first and its exact copy (same posting on another
board) in the second, forced into the order that lost data before: the original's chunk is
held right after its dedup check, before its skills and vectors are written, while the
copy's chunk runs on to its inheriting stage. The copy must wait for the original and end
with exactly what it would have had with one chunk at a time: the original's skills, vectors,
spam verdict, its cluster. Against the test PostgreSQL, chunk stages called directly (the
flow's `process_chunk`, without Prefect: the ordering is the point, not the orchestration).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import text

from hirehound.settings import Settings
from hirehound.storage import db

pytestmark = pytest.mark.integration

BODY = (
    "<h2>About the role</h2><p>We are hiring a backend engineer to build our payments "
    "platform in Python and PostgreSQL, with Docker and Kubernetes in production.</p>"
    "<ul><li>Design REST APIs</li><li>Run Kafka and Redis</li><li>Mentor engineers</li></ul>"
    "<h3>Benefits</h3><p>Health, 401k, equity.</p>"
)
WAIT_S = 60.0  # bounds every wait of the test: a hang fails, it never blocks the suite


def _posting(source: str, source_id: str, title: str, body: str = BODY) -> Any:
    from hirehound.records import SourcePosting

    return SourcePosting(
        source, source_id, title=title, company="Acme Payments, Inc.",
        url=f"https://jobs.example.com/{source_id}", location="Berlin, Germany",
        employment_type="Full-time", date_posted="2026-11-01", description_html=body,
        payload={"id": source_id})


@pytest.fixture
def chunks(clean_db: Settings) -> Iterator[tuple[list[int], list[int]]]:
    """Chunk A: the original and another posting; chunk B: a posting and the exact copy."""
    from hirehound.ingest import store_raw

    other = BODY.replace("payments", "logistics").replace("Kafka", "RabbitMQ")
    with db.transaction() as s:
        ids = store_raw(s, [
            _posting("testboard", "orig", "Senior Backend Engineer"),
            _posting("testboard", "a2", "Data Engineer", other.replace("backend", "data")),
            _posting("testboard", "b1", "Site Reliability Engineer", other),
            _posting("mirrorboard", "copy", "Senior Backend Engineer"),
        ]).to_process
    yield ids[:2], ids[2:]


def _row(sql: str, **params: Any) -> Any:
    with db.transaction() as s:
        return s.execute(text(sql), params).one()


def _skills(posting_id: int) -> list[str]:
    with db.transaction() as s:
        return list(s.scalars(text("select skill_id from posting_skills where posting_id = :i "
                                   "order by skill_id"), {"i": posting_id}))


def _vector(posting_id: int) -> list[float] | None:
    with db.transaction() as s:
        v = s.scalar(text("select combined from posting_embeddings where posting_id = :i"),
                     {"i": posting_id})
    return None if v is None else [round(float(x), 6) for x in v.to_list()]


class _Held:
    """Runs chunk A's stages directly, holding it after its dedup check (before its skills
    and vectors) until `release` is set."""

    def __init__(self) -> None:
        self.checked = threading.Event()
        self.release = threading.Event()

    def __call__(self, task: Any, *args: Any, **kwargs: Any) -> Any:
        from tasks import ingest as t

        if task is t.extract_skills_and_embed and not self.release.is_set():
            self.checked.set()
            assert self.release.wait(WAIT_S), "chunk A was never released"
        return task.fn(*args, **kwargs)


def _in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def body() -> None:
        try:
            out["result"] = fn()
        except BaseException as exc:  # re-raised by the test
            out["error"] = exc

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread, out


def _join(thread: threading.Thread, out: dict[str, Any]) -> Any:
    thread.join(WAIT_S)
    assert not thread.is_alive(), "a chunk did not finish"
    if "error" in out:
        raise out["error"]
    return out["result"]


def test_the_copy_waits_for_its_original_in_the_other_chunk(
    chunks: tuple[list[int], list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    import hirehound.ingest as core
    from flows.ingest import process_chunk
    from tasks import ingest as t

    a, b = chunks
    orig, copy = a[0], b[1]
    held = _Held()
    seen = core.originals_in_flight

    def looked(*args: Any, **kwargs: Any) -> list[int]:
        # Chunk B found its copy's original in flight: let chunk A go on.
        waiting = seen(*args, **kwargs)
        if waiting:
            held.release.set()
        return waiting

    monkeypatch.setattr(core, "originals_in_flight", looked)

    def run_b(task: Any, *args: Any, **kwargs: Any) -> Any:
        out = task.fn(*args, **kwargs)
        if task is t.deduplicate_and_cluster:  # the copy has inherited: now chunk A may go on
            held.release.set()
        return out

    thread_a, out_a = _in_thread(lambda: process_chunk(a, run=held))
    assert held.checked.wait(WAIT_S)
    # Chunk A is past its dedup check and held before its skills: chunk B sees the copy.
    thread_b, out_b = _in_thread(lambda: process_chunk(b, run=run_b, wait_for_originals_s=WAIT_S))
    got_a, got_b = _join(thread_a, out_a), _join(thread_b, out_b)
    assert got_b.branches["exact"] == 1 and got_a.branches["unique"] == 2
    assert got_a.published == 2 and got_b.published == 2

    p = _row("select dedup_kind, dedup_of, cluster_id, spam_reasons, quality_score, status "
             "from postings where id = :i", i=copy)
    o = _row("select cluster_id, quality_score, status from postings where id = :i", i=orig)
    assert (p.dedup_kind, p.dedup_of, p.cluster_id) == ("exact", orig, o.cluster_id)
    assert _skills(orig), "the original has skills to inherit"
    assert _skills(copy) == _skills(orig)
    assert _vector(copy) is not None and _vector(copy) == _vector(orig)
    assert f"same_text_as:{orig}" in p.spam_reasons  # the original's verdict, inherited
    assert p.quality_score == pytest.approx(o.quality_score) and p.status == o.status == "active"


def test_a_copy_whose_original_does_not_come_gets_its_own(
    chunks: tuple[list[int], list[int]]
) -> None:
    """The original's chunk stays held past the copy's wait (its run crashed, say): the copy
    does not inherit nothing, it gets skills and vectors of its own (here the same, as the
    texts are)."""
    from flows.ingest import process_chunk

    a, b = chunks
    orig, copy = a[0], b[1]
    held = _Held()
    thread_a, out_a = _in_thread(lambda: process_chunk(a, run=held))
    assert held.checked.wait(WAIT_S)

    def direct(task: Any, *args: Any, **kwargs: Any) -> Any:
        return task.fn(*args, **kwargs)

    got_b = process_chunk(b, run=direct, wait_for_originals_s=0.5)
    assert got_b.branches["exact"] == 1 and got_b.published == 2
    assert _skills(copy) and _vector(copy) is not None
    assert _skills(orig) == []  # still held: the copy did not wait for it
    held.release.set()
    _join(thread_a, out_a)
    assert _skills(copy) == _skills(orig)
    assert _vector(copy) == _vector(orig)
