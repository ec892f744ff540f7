"""What setup makes (`SetupConfig`), the names it owns, and the report it prints."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from hirehound import concerns
from hirehound.concerns import WORK_POOL
from hirehound.errors import ConfigurationError

log = logging.getLogger("deployments.setup")

ROOT = Path(__file__).resolve().parents[2]
K8S_TEMPLATE = ROOT / "k8s" / "base-job-template.json"

# Queue (and global concurrency limit) per concern: max concurrent flow runs / task slots.
# The names and sizes live in hirehound/concerns.py, which the tasks that take them import.
QUEUES: dict[str, int] = dict(concerns.QUEUES)


@dataclass(frozen=True)
class RateLimit:
    """`allowed` acquisitions per `period_s`, as a global concurrency limit whose slots decay.

    `rate_limit(name)` takes a slot that is never released; slots free up at
    `allowed / period_s` per second. That is a token bucket: a burst of up to `allowed` passes
    at once, then the sustained rate is `allowed` per period (so over any t seconds at most
    `allowed + t * allowed / period_s` acquisitions).
    """

    allowed: int
    period_s: float = 60.0

    @property
    def slot_decay_per_second(self) -> float:
        return self.allowed / self.period_s


RATE_LIMITS: dict[str, RateLimit] = {
    name: RateLimit(allowed, period) for name, (allowed, period) in concerns.RATE_LIMITS.items()
}

ALERT_AUTOMATION = "hirehound-alert-on-failure"
DEAD_LETTER_SHARE_AUTOMATION = "hirehound-alert-dead-letter-share"
CRITICAL_DEAD_LETTER_AUTOMATION = "hirehound-alert-critical-dead-letters"
CRASH_AUTOMATION = "hirehound-crash-stuck-runs"
RETRY_AUTOMATION = "hirehound-retry-rescued-runs"
# Prefix of the state message the rescue sets; the retry automation matches on it.
RESCUE_MESSAGE = "Hirehound rescue"

Action = Literal["created", "updated", "unchanged", "skipped"]


@dataclass
class SetupConfig:
    """What `setup` makes; `from_env()` reads the `HIREHOUND_*` variables an operator sets."""

    work_pool: str = WORK_POOL
    pool_type: Literal["process", "kubernetes"] = "process"
    queues: Mapping[str, int] = field(default_factory=lambda: dict(QUEUES))
    rate_limits: Mapping[str, RateLimit] = field(default_factory=lambda: dict(RATE_LIMITS))
    # Secrets (the webhook URL is one: whoever holds it can post alerts) stay out of repr().
    alert_webhook_url: str | None = field(default=None, repr=False)
    # Allow the webhook to reach private/loopback addresses (an on-prem alert relay, tests).
    alert_allow_private: bool = False
    # Values for the `hirehound` HirehoundSettings block; None keeps what the block holds.
    database_url: str | None = field(default=None, repr=False)
    # embedding_* / openai_* fields of the block (the API key among them)
    embedding: Mapping[str, Any] | None = field(default=None, repr=False)
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    # Flow runs send a heartbeat every PREFECT_FLOWS_HEARTBEAT_FREQUENCY seconds (>= 30, set
    # on the workers). A run silent for `stuck_after_s` is marked Crashed, then rescheduled
    # while its run count is at most `rescue_retries`.
    heartbeat_s: int = 60
    stuck_after_s: int = 300
    rescue_retries: int = 2
    # Alert when a run dead-letters at least this share of its postings (0 < share <= 1): half
    # is far past a bad board or a few odd records, and well short of "nothing works" (the
    # run then fails and the failed-run alert fires anyway).
    dead_letter_share: float = 0.5

    def __post_init__(self) -> None:
        # Heartbeats are sent from a thread and arrive late under load: demand a margin of
        # half an interval at least (the default is 5x) so a healthy long run is never killed.
        if self.stuck_after_s < 1.5 * self.heartbeat_s:
            raise ConfigurationError(
                f"stuck-run window {self.stuck_after_s}s must be at least 1.5x the heartbeat "
                f"interval {self.heartbeat_s}s, or healthy runs would be marked Crashed"
            )
        if not 0 < self.dead_letter_share <= 1:
            raise ConfigurationError(
                f"HIREHOUND_ALERT_DEAD_LETTER_SHARE must be in (0, 1], got {self.dead_letter_share}"
            )
        if self.pool_type not in ("process", "kubernetes"):
            raise ConfigurationError(f"unknown work pool type {self.pool_type!r}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SetupConfig:
        env = os.environ if env is None else env
        from blocks import SECRET_BLOCKS

        def num(name: str, default: int) -> int:
            raw = env.get(name)
            try:
                return int(raw) if raw else default
            except ValueError:
                raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from None

        raw_share = env.get("HIREHOUND_ALERT_DEAD_LETTER_SHARE") or "0.5"
        try:
            share = float(raw_share)
        except ValueError:
            raise ConfigurationError(
                f"HIREHOUND_ALERT_DEAD_LETTER_SHARE must be a number, got {raw_share!r}"
            ) from None
        embedding = None
        if env.get("HIREHOUND_EMBEDDING_PROVIDER"):
            embedding = {
                "embedding_provider": env["HIREHOUND_EMBEDDING_PROVIDER"],
                "embedding_dim": num("HIREHOUND_EMBEDDING_DIM", 256),
                "openai_base_url": env.get("HIREHOUND_OPENAI_BASE_URL") or None,
                "openai_api_key": env.get("HIREHOUND_OPENAI_API_KEY") or None,
                "openai_model": env.get("HIREHOUND_OPENAI_MODEL") or None,
            }
        heartbeat = num(
            "PREFECT_FLOWS_HEARTBEAT_FREQUENCY", num("PREFECT_RUNNER_HEARTBEAT_FREQUENCY", 60)
        )
        return cls(
            work_pool=env.get("HIREHOUND_WORK_POOL") or WORK_POOL,
            pool_type=env.get("HIREHOUND_WORK_POOL_TYPE") or "process",  # type: ignore[arg-type]
            alert_webhook_url=env.get("HIREHOUND_ALERT_WEBHOOK_URL") or None,
            alert_allow_private=env.get("HIREHOUND_ALERT_ALLOW_PRIVATE", "").lower()
            in ("1", "true", "yes"),
            database_url=env.get("HIREHOUND_DATABASE_URL") or None,
            embedding=embedding,
            secrets={name: env[var] for name, var in SECRET_BLOCKS.items() if env.get(var)},
            heartbeat_s=heartbeat,
            stuck_after_s=num("HIREHOUND_STUCK_AFTER_SECONDS", max(300, 3 * heartbeat)),
            dead_letter_share=share,
        )


@dataclass
class SetupReport:
    """One line per object: kind, name, what happened, and why."""

    dry_run: bool = False
    items: list[tuple[str, str, Action, str]] = field(default_factory=list)

    def add(self, kind: str, name: str, action: Action, detail: str = "") -> None:
        self.items.append((kind, name, action, detail))
        log.info("%s %s: %s %s", kind, name, action, detail)

    def count(self, action: Action) -> int:
        return sum(1 for item in self.items if item[2] == action)

    @property
    def changed(self) -> bool:
        return any(item[2] in ("created", "updated") for item in self.items)

    def render(self) -> str:
        prefix = "would be " if self.dry_run else ""
        width = max((len(f"{k} {n}") for k, n, _, _ in self.items), default=10)
        lines = [
            f"{f'{kind} {name}':<{width}}  {prefix if a in ('created', 'updated') else ''}{a}"
            + (f" ({detail})" if detail else "")
            for kind, name, a, detail in self.items
        ]
        lines.append(
            f"{self.count('created')} created, {self.count('updated')} updated, "
            f"{self.count('unchanged')} unchanged, {self.count('skipped')} skipped"
            + (" (dry run: nothing written)" if self.dry_run else "")
        )
        return "\n".join(lines)
