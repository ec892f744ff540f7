"""All configuration in one place, read from `HIREHOUND_*` environment variables.

Validated at the edge (CLI, flow entry) and passed down; the core never reads `os.environ`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    # As root, pgserver makes every parent of the data folder traversable by its system user:
    # keep it out of /root, which would otherwise be opened up.
    import os

    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/hirehound")
    return Path(platformdirs.user_data_dir("hirehound"))


class Settings(BaseSettings):
    """Hirehound settings; every field can be set as `HIREHOUND_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="HIREHOUND_", extra="ignore")

    home: Path = Field(
        default_factory=_default_home,
        description="Folder for the embedded database and local state.",
    )
    # Secrets (the URL holds the password, the key is a key) are SecretStr: `repr(settings)`,
    # log lines and tracebacks show '**********'; `.get_secret_value()` where it is used.
    database_url: SecretStr | None = Field(
        default=None,
        description="PostgreSQL URL (postgresql://...); empty starts the embedded server.",
    )
    embedding_provider: Literal["wordllama", "hashing", "openai"] = Field(
        default="wordllama",
        description="wordllama: local 256-dim model from its wheel; hashing: tiny, for tests; "
        "openai: any OpenAI-compatible endpoint.",
    )
    embedding_dim: int = Field(default=256, description="Vector size stored in the database.")
    openai_base_url: str | None = None
    openai_api_key: SecretStr | None = None
    openai_model: str = "text-embedding-3-small"
    chunk_size: int = Field(default=512, ge=1, le=5000, description="Postings per task run.")
    cpu_workers: int | None = Field(
        default=None,
        ge=0,
        description="Processes for CPU-heavy steps (cleaning, skills, embedding, spam); "
        "empty: one per core; 0 or 1: in the flow's own process.",
    )
    max_description_chars: int = Field(
        default=100_000, description="Longer descriptions are cut (and the cut is recorded)."
    )
    allow_private_addresses: bool = Field(
        default=False,
        description="Let HTTP fetches reach private/loopback addresses (tests, on-prem boards).",
    )
    allowed_networks: list[str] = Field(
        default_factory=list,
        description="Networks fetches may reach although not public, as a JSON list "
        '(\'["10.2.0.0/16"]\'): narrower than allow_private_addresses.',
    )
    http_timeout_s: float = Field(default=20.0, gt=0, description="Per connect/read timeout.")
    http_deadline_s: float = Field(
        default=120.0,
        gt=0,
        description="Total time for one request (redirects and body included): a server "
        "trickling its answer slower is cut off and retried.",
    )
    user_agent: str = "HirehoundBot/0.1 (+https://hirehound.example/bot)"
    log_sql: bool = False
    dead_letter_retention_days: int = Field(
        default=30,
        ge=0,
        description="Resolved dead letters older than this many days are deleted by the daily "
        "maintenance (open letters are kept until someone resolves or replays them).",
    )

    @field_validator("allowed_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for item in value:
            ipaddress.ip_network(item, strict=False)  # ValueError names the bad entry
        return value

    @property
    def pgdata(self) -> Path:
        """Data directory of the embedded PostgreSQL server."""
        return self.home / "pgdata"


class Timeouts(BaseSettings):
    """How long each flow and task may run before Prefect stops it, in seconds; every field can
    be set as `HIREHOUND_TIMEOUT_<NAME>` (e.g. HIREHOUND_TIMEOUT_CHUNK_STAGE_S=120).

    Fitted to the work with a wide margin on a loaded 2-core worker: a chunk stage of 512
    postings takes seconds (a minute with a remote embedding API), a crawl pass or a bulk
    import hours. A timed-out task fails with TimeoutError and retries like any failure; a
    timed-out flow run fails (and alerts). Read once per process, when tasks are defined.
    """

    model_config = SettingsConfigDict(env_prefix="HIREHOUND_TIMEOUT_", extra="ignore")

    # Tasks.
    chunk_stage_s: float = Field(default=600, gt=0, description="One chunk stage (ingest).")
    # Retries of a chunk stage: every failure gets two quick ones (the first after this wait,
    # the next after twice it); a lost database connection keeps retrying, each wait doubled
    # and at most a quarter of chunk_outage_s, until they add up to chunk_outage_s.
    chunk_retry_first_s: float = Field(
        default=1.0, gt=0, description="Wait before a chunk stage's first retry.")
    chunk_outage_s: float = Field(
        default=60, gt=0, description="How long chunk stages retry a database that cannot be "
                                      "reached (a restart), all waits added up.")
    original_wait_s: float = Field(
        default=180, ge=0, description="How long an exact copy waits for its original, in "
                                       "another chunk in flight, to be published before it "
                                       "inherits from it.")
    fetch_s: float = Field(default=1800, gt=0, description="Read and store one fetch group.")
    crawl_board_s: float = Field(default=900, gt=0, description="Crawl one board or page.")
    database_task_s: float = Field(default=300, gt=0,
                                   description="Short database tasks (claim, select, merge).")
    enrich_source_s: float = Field(default=180, gt=0,
                                   description="One enrichment source for one organization.")
    maintenance_task_s: float = Field(default=3600, gt=0,
                                      description="One maintenance task (re-check, vacuum).")
    # Flows.
    ingest_flow_s: float = Field(default=8 * 3600, gt=0,
                                 description="A bulk ingestion (waits up to 6 h for its children).")
    process_flow_s: float = Field(default=2 * 3600, gt=0,
                                  description="A child run of a bulk import (a group of chunks).")
    posting_flow_s: float = Field(default=300, gt=0, description="Ingest one posting.")
    crawl_flow_s: float = Field(default=6 * 3600, gt=0, description="A crawl pass.")
    enrich_flow_s: float = Field(default=2 * 3600, gt=0, description="An enrichment run.")
    maintenance_flow_s: float = Field(default=4 * 3600, gt=0,
                                      description="Daily maintenance and cluster checks.")
    short_flow_s: float = Field(default=900, gt=0,
                                description="Small scheduled flows (expiry, pruning).")
    replay_flow_s: float = Field(default=2 * 3600, gt=0, description="A dead-letter replay.")
    reprocess_flow_s: float = Field(default=8 * 3600, gt=0,
                                    description="Re-embed or re-index the live corpus.")


def get_settings() -> Settings:
    """Settings from the environment, validated."""
    return Settings()
