"""The PostgreSQL-backed circuit breaker: closed -> open -> half-open -> closed/open."""

from __future__ import annotations

import threading
import time

import pytest

from hirehound.enrichment import BreakerPolicy, CircuitBreaker, CircuitOpen
from hirehound.errors import EnrichmentDataError, EnrichmentUnavailable
from hirehound.settings import Settings
from hirehound.storage import db

pytestmark = pytest.mark.integration


def _fail(breaker: CircuitBreaker) -> None:
    with pytest.raises(EnrichmentUnavailable), breaker.guard():
        raise EnrichmentUnavailable("HTTP 500")


def test_transitions(clean_db: Settings) -> None:
    b = CircuitBreaker("svc", db.transaction, BreakerPolicy(failure_threshold=3, cooldown_s=0.5))
    assert b.state() == "closed"
    _fail(b)
    _fail(b)
    assert b.state() == "closed"
    # Bad data about one organization is not the service failing, nor its recovery: it
    # counts neither way, so the third real failure opens the circuit.
    with pytest.raises(EnrichmentDataError), b.guard():
        raise EnrichmentDataError("not JSON")
    assert b.state() == "closed"
    _fail(b)
    assert b.state() == "open"
    calls = []
    with pytest.raises(CircuitOpen), b.guard():  # fails fast: the call never happens
        calls.append(1)
    assert calls == []

    time.sleep(0.6)
    b.before_call()  # the probe
    assert b.state() == "half_open"
    with pytest.raises(CircuitOpen):  # others keep failing fast while it probes
        b.before_call()
    b.record_failure("still down")
    assert b.state() == "open"  # a failed probe re-opens at once

    time.sleep(0.6)
    with b.guard():
        pass  # a good probe
    assert b.state() == "closed"
    with b.guard():
        pass


def test_one_probe_among_concurrent_workers(clean_db: Settings) -> None:
    policy = BreakerPolicy(failure_threshold=1, cooldown_s=0.3)
    CircuitBreaker("shared", db.transaction, policy).record_failure("boom")
    time.sleep(0.35)
    allowed: list[int] = []
    barrier = threading.Barrier(6)

    def worker(i: int) -> None:
        b = CircuitBreaker("shared", db.transaction, policy)  # a separate worker's instance
        barrier.wait()
        try:
            b.before_call()
            allowed.append(i)
        except CircuitOpen:
            pass

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(allowed) == 1  # the row lock hands the half-open probe to exactly one
