"""A circuit breaker per external service, its state in PostgreSQL so every worker shares it.

closed --(N consecutive failures)--> open --(cool-down elapsed: one caller probes)--> half_open
half_open --success--> closed;  half_open --failure--> open (cool-down restarts)

Each transition runs in its own short transaction on the service's row, locked with
`SELECT ... FOR UPDATE`, so two workers never both take the half-open probe. Times come
from the database clock (`now()`), one clock for all workers.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from hirehound.errors import EnrichmentDataError, EnrichmentUnavailable

log = logging.getLogger(__name__)

SessionFactory = Callable[[], AbstractContextManager[Session]]


class CircuitOpen(EnrichmentUnavailable):
    """The service's breaker is open: we fail fast instead of calling it."""


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    failure_threshold: int = 5
    cooldown_s: float = 60.0


_LOCK = text(
    """
    select state, consecutive_failures,
           extract(epoch from (now() - coalesce(opened_at, now()))) as open_for
      from circuit_breakers where service = :service for update
    """
)


class CircuitBreaker:
    """`with breaker.guard(): call()` — raises CircuitOpen while open; records the outcome."""

    def __init__(
        self, service: str, transaction: SessionFactory, policy: BreakerPolicy | None = None
    ) -> None:
        self.service = service
        self.policy = policy or BreakerPolicy()
        self._transaction = transaction

    def _row(self, session: Session) -> tuple[str, int, float]:
        session.execute(
            text(
                "insert into circuit_breakers (service) values (:service)"
                " on conflict (service) do nothing"
            ),
            {"service": self.service},
        )
        state, failures, open_for = session.execute(_LOCK, {"service": self.service}).one()
        return str(state), int(failures), float(open_for or 0.0)

    def state(self) -> str:
        with self._transaction() as session:
            return self._row(session)[0]

    def before_call(self) -> None:
        """Let the call through, or raise CircuitOpen (fail fast)."""
        with self._transaction() as session:
            state, _, open_for = self._row(session)
            if state == "closed":
                return
            if open_for < self.policy.cooldown_s:
                raise CircuitOpen(
                    f"circuit for {self.service} is {state} "
                    f"({open_for:.0f}s of {self.policy.cooldown_s:.0f}s cool-down)"
                )
            # Cool-down over (or a previous probe went silent): this caller is the probe; the
            # restarted clock keeps everyone else failing fast until it reports back.
            session.execute(
                text(
                    "update circuit_breakers set state = 'half_open', opened_at = now()"
                    " where service = :service"
                ),
                {"service": self.service},
            )
            log.info("circuit for %s half-open: probing", self.service)

    def record_success(self) -> None:
        with self._transaction() as session:
            state, _, _ = self._row(session)
            session.execute(
                text(
                    "update circuit_breakers set state = 'closed', consecutive_failures = 0,"
                    " opened_at = null, last_success_at = now() where service = :service"
                ),
                {"service": self.service},
            )
            if state != "closed":
                log.info("circuit for %s closed", self.service)

    def record_failure(self, error: BaseException | str) -> None:
        with self._transaction() as session:
            state, failures, _ = self._row(session)
            failures += 1
            opens = state == "half_open" or (
                state == "closed" and failures >= self.policy.failure_threshold
            )
            session.execute(
                text(
                    "update circuit_breakers set consecutive_failures = :failures,"
                    " last_failure_at = now(), last_error = :error,"
                    " state = case when :opens then 'open' else state end,"
                    " opened_at = case when :opens then now() else opened_at end"
                    " where service = :service"
                ),
                {
                    "service": self.service,
                    "failures": failures,
                    "error": str(error)[:1000],
                    "opens": opens,
                },
            )
            if opens:
                log.warning("circuit for %s opened after %d failures", self.service, failures)

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """Fail fast when open; count service failures, not bad data about one organization."""
        self.before_call()
        try:
            yield
        except EnrichmentDataError:
            # The service answered; the answer was unusable for this organization.
            self.record_success()
            raise
        except CircuitOpen:
            raise
        except Exception as exc:
            self.record_failure(f"{type(exc).__name__}: {exc}")
            raise
        else:
            self.record_success()


def breaker_states(session: Session) -> dict[str, dict[str, Any]]:
    """Every breaker's state (for reports and the CLI)."""
    rows = session.execute(
        text("select service, state, consecutive_failures, last_error from circuit_breakers")
    )
    return {
        r.service: {
            "state": r.state,
            "failures": r.consecutive_failures,
            "last_error": r.last_error,
        }
        for r in rows
    }
