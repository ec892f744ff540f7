"""Block classes: database URL, embedding provider; names of the documents setup creates.

The alert webhook is Prefect's own `CustomWebhookNotificationBlock` (the server sends
automation notifications itself, so the block class must be importable by the server, which
does not have Hirehound installed). Enrichment credentials are plain `Secret` blocks.
"""

from __future__ import annotations

from typing import Any, Literal

from prefect.blocks.core import Block
from pydantic import Field, SecretStr

from hirehound.settings import Settings

# Document names: the same string in setup, flows and prefect.yaml.
DATABASE_BLOCK = "hirehound"
EMBEDDING_BLOCK = "hirehound"
ALERT_BLOCK = "hirehound-alerts"
# Secret block name -> environment variable setup reads it from (skipped when unset).
SECRET_BLOCKS = {
    "clearbit-api-key": "HIREHOUND_CLEARBIT_API_KEY",
    "crunchbase-api-key": "HIREHOUND_CRUNCHBASE_API_KEY",
}


class HirehoundDatabase(Block):
    """Where the Hirehound PostgreSQL database lives (pgvector required)."""

    _block_type_name = "Hirehound Database"
    _block_type_slug = "hirehound-database"
    _description = "PostgreSQL URL of the Hirehound corpus; empty means the embedded server."

    url: SecretStr | None = Field(
        default=None,
        description="postgresql://user:password@host:5432/dbname (secret). Leave empty to use "
        "the embedded server under HIREHOUND_HOME on each worker (single-machine setups).",
    )
    log_sql: bool = Field(default=False, description="Echo every SQL statement (debugging).")

    def to_settings(self, base: Settings | None = None) -> Settings:
        """Settings with this database applied over `base` (default: the environment)."""
        base = base or Settings()
        url = self.url.get_secret_value() if self.url else base.database_url
        return base.model_copy(update={"database_url": url or None, "log_sql": self.log_sql})


class EmbeddingProvider(Block):
    """Which embedding model the pipeline uses (the vector dimension follows it)."""

    _block_type_name = "Hirehound Embedding Provider"
    _block_type_slug = "hirehound-embedding-provider"
    _description = "Local WordLlama (no download) or any OpenAI-compatible endpoint."

    provider: Literal["wordllama", "hashing", "openai"] = Field(
        default="wordllama",
        description="wordllama: local 256-dim model shipped in its wheel; hashing: tiny, tests "
        "only; openai: an OpenAI-compatible /embeddings endpoint.",
    )
    dimension: int = Field(default=256, ge=8, le=4096, description="Stored vector size.")
    base_url: str | None = Field(default=None, description="OpenAI-compatible base URL.")
    api_key: SecretStr | None = Field(default=None, description="API key (secret).")
    model: str = Field(default="text-embedding-3-small", description="Model name (openai).")

    def to_settings(self, base: Settings | None = None) -> Settings:
        """Settings with this provider applied over `base` (default: the environment)."""
        base = base or Settings()
        update: dict[str, Any] = {
            "embedding_provider": self.provider,
            "embedding_dim": self.dimension,
        }
        if self.provider == "openai":
            update |= {"openai_base_url": self.base_url, "openai_model": self.model}
            if self.api_key is not None:
                update["openai_api_key"] = self.api_key
        return base.model_copy(update=update)


def load_settings(base: Settings | None = None) -> Settings:
    """Settings from the environment with the database and embedding blocks applied, when they
    exist on the Prefect server (flows call this at entry; missing blocks are not an error)."""
    settings = base or Settings()
    for cls, name in ((HirehoundDatabase, DATABASE_BLOCK), (EmbeddingProvider, EMBEDDING_BLOCK)):
        try:
            block = cls.load(name)
        except ValueError:  # no such document: keep the environment's settings
            continue
        settings = block.to_settings(settings)
    return settings
