"""Block classes (database and embedding provider) and the document names setup creates.

The database is a `prefect-sqlalchemy` `SqlAlchemyConnector` document (`hirehound-database`:
host, port, user and database in the UI's form, the password as a secret) that the settings
block references; with none referenced a worker uses its HIREHOUND_DATABASE_URL, else its
embedded server. The alert webhook is Prefect's own `CustomWebhookNotificationBlock` (the
server sends automation notifications itself, so the block class must be importable by the
server, which does not have Hirehound installed). Enrichment credentials are plain `Secret` blocks.
"""

from __future__ import annotations

from typing import Any, Literal

from prefect.blocks.core import Block
from prefect_sqlalchemy import ConnectionComponents, SqlAlchemyConnector
from pydantic import Field, SecretStr

from hirehound.enrichment._registry import secret_envs
from hirehound.settings import Settings

# Document names: the same string in setup, flows and prefect.yaml.
SETTINGS_BLOCK = "hirehound"
DATABASE_BLOCK = "hirehound-database"
ALERT_BLOCK = "hirehound-alerts"
# Secret block name -> environment variable setup reads it from (skipped when unset); each
# enrichment source that needs a key declares both in its registry entry.
SECRET_BLOCKS = secret_envs()


class HirehoundSettings(Block):
    """The database and the embedding provider every worker must agree on, in one place.

    Empty fields fall back to the worker's `HIREHOUND_*` environment, so a block with no
    values changes nothing (single-machine setups keep using the embedded server).
    """

    _block_type_name = "Hirehound Settings"
    _block_type_slug = "hirehound-settings"
    _description = "Database URL and embedding provider shared by all Hirehound workers."

    database: SqlAlchemyConnector | None = Field(
        default=None,
        description="The PostgreSQL database (pgvector required) every worker writes to: a "
        "SQLAlchemy Connector block, password kept secret. Empty: HIREHOUND_DATABASE_URL on "
        "the worker, else its embedded server.",
    )
    embedding_provider: Literal["wordllama", "hashing", "openai"] | None = Field(
        default=None,
        description="wordllama: local 256-dim model shipped in its wheel; hashing: tiny, tests "
        "only; openai: any OpenAI-compatible /embeddings endpoint. Empty: the environment's.",
    )
    embedding_dim: int | None = Field(
        default=None, ge=8, le=4096, description="Stored vector size (follows the provider)."
    )
    openai_base_url: str | None = Field(default=None, description="OpenAI-compatible base URL.")
    openai_api_key: SecretStr | None = Field(default=None, description="API key (secret).")
    openai_model: str | None = Field(default=None, description="Embedding model name (openai).")
    allow_private_addresses: bool | None = Field(
        default=None,
        description="Let fetches reach private addresses (on-prem boards). Empty: environment.",
    )

    def to_settings(self, base: Settings | None = None) -> Settings:
        """`base` (default: the environment) with every field set here applied over it."""
        base = base or Settings()
        update: dict[str, Any] = {}
        if self.database is not None:
            # A SecretStr (model_copy does not validate): repr() and logs must not show it.
            update["database_url"] = SecretStr(connector_url(self.database))
        for name in (
            "embedding_provider",
            "embedding_dim",
            "openai_base_url",
            "openai_api_key",
            "openai_model",
            "allow_private_addresses",
        ):
            value = getattr(self, name)
            if value is not None:
                update[name] = value
        return base.model_copy(update=update)



def connector_from_url(url: str) -> SqlAlchemyConnector:
    """A connector block for a postgresql:// URL, split into the fields the UI's form shows."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return SqlAlchemyConnector(
        connection_info=ConnectionComponents(
            driver="postgresql+psycopg",
            username=u.username,
            password=SecretStr(u.password) if u.password else None,
            host=u.host,
            port=u.port,
            database=u.database,
            query={k: str(v) for k, v in u.query.items()} or None,
        )
    )


def connector_url(connector: SqlAlchemyConnector) -> str:
    """The connector's URL with its password, for the engine (never for a log)."""
    info = connector.connection_info
    if isinstance(info, ConnectionComponents):
        return info.create_url().render_as_string(hide_password=False)
    return str(info)
