"""`hirehound setup`: create or fix everything the deployments need on a Prefect server.

Idempotent: each object is read first and only created or updated when it differs from the
desired state; the report says what was created, updated, left alone or skipped.

- one work pool (`hirehound`, process or kubernetes) with one queue per concern,
- global concurrency limits with the same names (used inside tasks), and rate limits
  (`scraping-rate`, `enrichment-rate`: a limit that decays, see `RateLimit`),
- block types and documents (database, embedding provider, alert webhook, secrets),
- automations: alert on Failed/Crashed flow runs and on runs that dead-letter a share of their
  postings (or anything from the critical queue), and the stuck-run rescue.
"""

from __future__ import annotations

from collections.abc import Callable

from deployments.setup._automations import desired_automations
from deployments.setup._config import (
    ALERT_AUTOMATION,
    CRASH_AUTOMATION,
    CRITICAL_DEAD_LETTER_AUTOMATION,
    DEAD_LETTER_SHARE_AUTOMATION,
    QUEUES,
    RATE_LIMITS,
    RESCUE_MESSAGE,
    RETRY_AUTOMATION,
    RateLimit,
    SetupConfig,
    SetupReport,
)
from hirehound.errors import ConfigurationError

__all__ = [
    "ALERT_AUTOMATION",
    "CRASH_AUTOMATION",
    "CRITICAL_DEAD_LETTER_AUTOMATION",
    "DEAD_LETTER_SHARE_AUTOMATION",
    "QUEUES",
    "RATE_LIMITS",
    "RESCUE_MESSAGE",
    "RETRY_AUTOMATION",
    "RateLimit",
    "SetupConfig",
    "SetupReport",
    "desired_automations",
    "main",
    "setup",
]


def setup(*, dry_run: bool = False, config: SetupConfig | None = None) -> SetupReport:
    """Bring the Prefect server at PREFECT_API_URL to the desired state; see the module doc."""
    from prefect.client.orchestration import get_client

    from deployments.setup import _automations, _blocks, _limits, _pool

    config = config or SetupConfig.from_env()
    report = SetupReport(dry_run=dry_run)
    with get_client(sync_client=True) as client:
        _pool.work_pool(client, config, report, dry_run)
        _pool.queues(client, config, report, dry_run)
        _limits.limits(client, config, report, dry_run)
        alert_block_id = _blocks.blocks(client, config, report, dry_run)
        _automations.automations(client, config, report, dry_run, alert_block_id)
    return report


def main(argv: list[str] | None = None, *, echo: Callable[[str], None] = print) -> int:
    """`python -m deployments.setup [--dry-run]`: apply (or preview) and print the report."""
    import argparse

    parser = argparse.ArgumentParser(prog="hirehound setup", description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="show what would change")
    args = parser.parse_args(argv)
    try:
        report = setup(dry_run=args.dry_run)
    except ConfigurationError as exc:
        echo(f"error: {exc}")
        return 2
    echo(report.render())
    return 0
