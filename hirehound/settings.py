"""All configuration in one place, read from `HIREHOUND_*` environment variables.

Validated at the edge (CLI, flow entry) and passed down; the core never reads `os.environ`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr
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
    database_url: str | None = Field(
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
    http_timeout_s: float = 20.0
    user_agent: str = "HirehoundBot/0.1 (+https://hirehound.example/bot)"
    log_sql: bool = False

    @property
    def pgdata(self) -> Path:
        """Data directory of the embedded PostgreSQL server."""
        return self.home / "pgdata"


def get_settings() -> Settings:
    """Settings from the environment, validated."""
    return Settings()
