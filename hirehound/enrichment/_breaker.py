"""A circuit breaker per external service, its state in PostgreSQL so every worker shares it.

closed --(N consecutive failures)--> open --(cool-down elapsed: one caller probes)--> half_open
half_open --success--> closed;  half_open --failure--> open (cool-down restarts)

Each transition runs in its own short transaction on the service's row, locked with
`SELECT ... FOR UPDATE`, so two workers never both take the half-open probe. Times come
from the database clock (`now()`), one clock for all workers.

What counts:
- A success closes the circuit only when it is news: the circuit is closed (the failure count
  resets) or this call is the half-open probe. A slow call that began before the circuit
  opened (or before the probe) and succeeds afterwards changes nothing: it says nothing about
  the service since it opened.
- Data errors (403/404, unusable answers, blocked addresses: `EnrichmentDataError`) count
  neither way: the service answered, but about one organization, so they neither reset the
  failure count nor add to it. A probe ending in a data error hands the probe to the next
  caller at once (the circuit stays half-open, its cool-down already served).
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
           extract(epoch from (now() - coalesce(opened_at, now()))) as open_for,
           opened_at
      from circuit_breakers where service = :service for update
    """
)


@dataclass(frozen=True, slots=True)
class Ticket:
    """What `before_call` saw: the state the call began in and, for the probe, its start."""

    state: str
    opened_at: Any = None  # the row's opened_at when this call is the half-open probe

    @property
    def probe(self) -> bool:
        return self.state == "half_open"


class CircuitBreaker:
    """`with breaker.guard(): call()` — raises CircuitOpen while open; records the outcome."""

    def __init__(
        self, service: str, transaction: SessionFactory, policy: BreakerPolicy | None = None
    ) -> None:
        self.service = service
        self.policy = policy or BreakerPolicy()
        self._transaction = transaction
        self._ticket: Ticket | None = None

    def _row(self, session: Session) -> tuple[str, int, float, Any]:
        session.execute(
            text(
                "insert into circuit_breakers (service) values (:service)"
                " on conflict (service) do nothing"
            ),
            {"service": self.service},
        )
        state, failures, open_for, opened_at = session.execute(
            _LOCK, {"service": self.service}
        ).one()
        return str(state), int(failures), float(open_for or 0.0), opened_at

    def state(self) -> str:
        with self._transaction() as session:
            return self._row(session)[0]

    def before_call(self) -> Ticket:
        """Let the call through (its ticket), or raise CircuitOpen (fail fast).

        The ticket is also kept on this instance, so `guard()` right after a `before_call()`
        (a fail-fast check before waiting for a rate-limit slot) uses it instead of asking
        again, which would find its own probe in progress and refuse it.
        """
        self._ticket = None  # a ticket is only good for the call right after it
        with self._transaction() as session:
            state, _, open_for, _ = self._row(session)
            if state == "closed":
                self._ticket = Ticket("closed")
                return self._ticket
            if open_for < self.policy.cooldown_s:
                raise CircuitOpen(
                    f"circuit for {self.service} is {state} "
                    f"({open_for:.0f}s of {self.policy.cooldown_s:.0f}s cool-down)"
                )
            # Cool-down over (or a previous probe went silent): this caller is the probe; the
            # restarted clock keeps everyone else failing fast until it reports back.
            opened_at = session.execute(
                text(
                    "update circuit_breakers set state = 'half_open', opened_at = now()"
                    " where service = :service returning opened_at"
                ),
                {"service": self.service},
            ).scalar_one()
            log.info("circuit for %s half-open: probing", self.service)
            self._ticket = Ticket("half_open", opened_at)
            return self._ticket

    def record_success(self, ticket: Ticket | None = None) -> None:
        """A call that began with `ticket` succeeded (no ticket: an operator's override)."""
        self._ticket = None
        with self._transaction() as session:
            state, _, _, opened_at = self._row(session)
            if ticket is not None and state != "closed" and not (
                ticket.probe and state == "half_open" and opened_at == ticket.opened_at
            ):
                # Began before the circuit opened (or is not the probe): not news.
                log.debug("late success for %s ignored (circuit %s)", self.service, state)
                return
            session.execute(
                text(
                    "update circuit_breakers set state = 'closed', consecutive_failures = 0,"
                    " opened_at = null, last_success_at = now() where service = :service"
                ),
                {"service": self.service},
            )
            if state != "closed":
                log.info("circuit for %s closed", self.service)

    def release_probe(self, ticket: Ticket) -> None:
        """The probe learned nothing (a data error): let the next caller probe at once."""
        if not ticket.probe:
            return
        with self._transaction() as session:
            state, _, _, opened_at = self._row(session)
            if state == "half_open" and opened_at == ticket.opened_at:
                session.execute(
                    text(
                        "update circuit_breakers set opened_at = now() - make_interval("
                        "secs => :cooldown) where service = :service"
                    ),
                    {"service": self.service, "cooldown": self.policy.cooldown_s},
                )

    def record_failure(self, error: BaseException | str) -> None:
        self._ticket = None
        with self._transaction() as session:
            state, failures, _, _ = self._row(session)
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
        ticket = self._ticket or self.before_call()
        self._ticket = None  # one ticket, one call
        try:
            yield
        except EnrichmentDataError:
            # The service answered; the answer was unusable for this organization: counts
            # neither way (see the module docstring).
            self.release_probe(ticket)
            raise
        except CircuitOpen:
            raise
        except Exception as exc:
            self.record_failure(f"{type(exc).__name__}: {exc}")
            raise
        else:
            self.record_success(ticket)


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
