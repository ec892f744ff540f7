"""Find postings a crash left mid-pipeline and hand them back to the pipeline.

A fetch stamps `raw_postings.pending_since` on every posting it stores to process; publishing
clears it. A stamp older than the timeout means the run that owned the posting is gone (its
worker was killed, its chunk failed for good, `ingest_posting` failed): `claim_stuck` takes
a batch of them, restarts their clock (so the next sweep does not take them twice) and
counts the attempt. The caller drives them through the steps (flows/maintenance.py), which
resume where each posting stopped (`hirehound.ingest.resume_points`).

Not retried: a posting with a dead letter of its own since it was stored (bad data stays bad
until its source changes it; only whole-chunk failures, named by `retry_steps`, are worth
another go), and one the sweep already took `max_attempts` times (dead-lettered once).

The timeout must exceed how long a stored posting may wait for its chunk in a healthy run (a
bulk import's child runs queue on the pool): a live posting taken by the sweep is processed
twice, which is harmless but wasteful.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

from hirehound.records import DeadLetter
from hirehound.storage import dead_letters

DEFAULT_TIMEOUT_S = 3600.0
MAX_ATTEMPTS = 3
DEFAULT_LIMIT = 4096


@dataclass
class SweepClaim:
    """What one sweep found: ids to drive on, and those it settled without driving."""

    ids: list[int] = field(default_factory=list)
    # Pending postings that carry their own dead letter: no longer pending.
    settled: int = 0
    # Pending postings the sweep took `max_attempts` times: dead-lettered, no longer pending.
    given_up: int = 0

    def summary(self) -> dict[str, int]:
        return {"claimed": len(self.ids), "settled": self.settled, "given_up": self.given_up}


def claim_stuck(
    session: Session,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    limit: int = DEFAULT_LIMIT,
    retry_steps: Collection[str] = (),
    max_attempts: int = MAX_ATTEMPTS,
) -> SweepClaim:
    """Claim up to `limit` postings pending for longer than `timeout_s` (oldest first).

    `retry_steps`: dead-letter steps that name a whole chunk's failure (its tasks, a child
    run), not the posting's own data: a posting whose letters are all of those is retried.
    """
    claim = SweepClaim()
    params = {"timeout": timeout_s, "retry": list(retry_steps)}
    stale = "r.pending_since < now() - make_interval(secs => :timeout)"
    claim.settled = len(session.execute(text(
        f"update raw_postings r set pending_since = null where {stale} and ("
        " exists (select 1 from postings p where p.id = r.id and p.step = 'publish')"
        " or exists (select 1 from dead_letters d where d.posting_id = r.id"
        "   and d.created_at >= r.pending_since and d.step <> all(cast(:retry as text[]))))"
        " returning r.id"
    ), params).all())
    gone = session.execute(text(
        f"update raw_postings r set pending_since = null where {stale} "
        "and r.sweep_attempts >= :max returning r.id, r.source, r.source_id"
    ), {**params, "max": max_attempts}).all()
    if gone:
        dead_letters.record(session, [
            DeadLetter("sweep", "GaveUp", f"still unfinished after {max_attempts} sweeps",
                       r.id, r.source, r.source_id) for r in gone
        ], flow_name="sweep-stuck-postings")
    claim.given_up = len(gone)
    claim.ids = list(session.scalars(text(
        "update raw_postings set pending_since = now(), sweep_attempts = sweep_attempts + 1 "
        "where id in (select r.id from raw_postings r where "
        f"{stale} order by r.pending_since, r.id limit :limit for update skip locked) "
        "returning id"
    ), {**params, "limit": limit}))
    claim.ids.sort()
    return claim
