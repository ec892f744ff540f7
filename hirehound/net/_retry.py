"""One Retry-After parser and one retry policy for every outbound request."""

from __future__ import annotations

import datetime
import email.utils
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import tenacity
from tenacity.wait import wait_exponential_jitter

from hirehound.net._address import NetError

log = logging.getLogger(__name__)

T = TypeVar("T")


class Retryable(NetError):
    """Worth another attempt: a network error, a timeout, the deadline, a 429 or a 5xx.

    `retry_after` is what the server asked for (seconds), `status` the HTTP status if any.
    """

    def __init__(
        self, reason: str, *, retry_after: float | None = None, status: int | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.status = status


class Unresolvable(Retryable):
    """The host name does not resolve (retryable for a board; bad data for a website)."""


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date; else None.

    Negative, non-finite or unparseable values give None (the computed backoff applies); a
    date in the past gives 0.
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:  # "1.5" is not RFC 9110 but some servers send it; "-3", "nan", "inf" are junk
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" or no zone: RFC 9110 dates are GMT
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a `Retryable` failure.

    The wait is the server's Retry-After when it sent one (cut at `retry_after_cap_s`, so one
    host cannot park a worker for an hour), else exponential backoff with jitter from
    `initial_s` up to `max_s`.
    """

    attempts: int = 4
    initial_s: float = 0.5
    max_s: float = 30.0
    retry_after_cap_s: float = 120.0

    def wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, self.retry_after_cap_s)
        return float(wait_exponential_jitter(initial=self.initial_s, max=self.max_s)(state))

    def call(self, fn: Callable[[], T], *, what: str = "request") -> T:
        """`fn()`, retried on Retryable; the last Retryable is raised when attempts run out."""
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(max(1, self.attempts)),
            wait=self.wait,
            retry=tenacity.retry_if_exception_type(Retryable),
            before_sleep=lambda s: _log_retry(what, s),
            reraise=True,
        )
        return retrying(fn)


def _log_retry(what: str, state: tenacity.RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.warning("%s attempt %d failed: %s; retrying in %.1fs", what, state.attempt_number,
                exc, wait)
