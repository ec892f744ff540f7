"""The database an operator edits in the UI is a SQLAlchemy Connector block that the settings
block links to; `hirehound setup` writes it from HIREHOUND_DATABASE_URL, and a flow's
`settings_block` reaches it (the worker-side proof is in test_operations)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytestmark = pytest.mark.integration

URL = "postgresql+psycopg://hound:s3cr%40t@db.internal:5433/corpus?sslmode=require"


@pytest.fixture
def no_blocks(prefect_harness: None) -> Iterator[None]:
    """Neither document exists before the test, and nothing setup made is left after it: the
    harness is shared, and its limits and automations would bind other tests' runs."""
    import contextlib
    import uuid

    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    from blocks import DATABASE_BLOCK, SETTINGS_BLOCK
    from deployments.setup import QUEUES, RATE_LIMITS, desired_automations
    from deployments.setup._config import SetupConfig
    from hirehound.concerns import WORK_POOL

    def drop(everything: bool) -> None:
        with get_client(sync_client=True) as client:
            for slug, name in (("hirehound-settings", SETTINGS_BLOCK),
                               ("sqlalchemy-connector", DATABASE_BLOCK)):
                try:
                    doc = client.read_block_document_by_name(name=name, block_type_slug=slug)
                except ObjectNotFound:
                    continue
                client.delete_block_document(doc.id)
            if not everything:
                return
            for limit in [*QUEUES, *RATE_LIMITS]:
                with contextlib.suppress(ObjectNotFound):
                    client.delete_global_concurrency_limit_by_name(limit)
            for automation in desired_automations(SetupConfig(), alert_block_id=uuid.uuid4()):
                for found in client.read_automations_by_name(automation.name):
                    client.delete_automation(found.id)
            with contextlib.suppress(ObjectNotFound):
                client.delete_work_pool(WORK_POOL)

    drop(everything=False)
    yield
    drop(everything=True)


def _actions(report: object) -> dict[tuple[str, str], str]:
    return {(k, n): a for k, n, a, _ in report.items}  # type: ignore[attr-defined]


def test_setup_writes_a_connector_the_settings_block_links(no_blocks: None) -> None:
    from prefect_sqlalchemy import SqlAlchemyConnector

    from blocks import DATABASE_BLOCK, SETTINGS_BLOCK, HirehoundSettings
    from deployments.setup import SetupConfig, setup
    from flows._runtime import _block_settings

    dry = setup(dry_run=True, config=SetupConfig(database_url=URL))
    assert _actions(dry)[("block sqlalchemy-connector", DATABASE_BLOCK)] == "created"
    with pytest.raises(ValueError):  # a dry run writes nothing
        SqlAlchemyConnector.load(DATABASE_BLOCK)

    first = setup(config=SetupConfig(database_url=URL))
    assert _actions(first)[("block sqlalchemy-connector", DATABASE_BLOCK)] == "created"
    connector = SqlAlchemyConnector.load(DATABASE_BLOCK)
    info = connector.connection_info
    assert (info.host, info.port, info.database, info.username) == (  # type: ignore[union-attr]
        "db.internal", 5433, "corpus", "hound")
    assert "s3cr" not in repr(connector)  # the password is a secret in the UI and in logs
    settings_block = HirehoundSettings.load(SETTINGS_BLOCK)
    assert "s3cr" not in repr(settings_block)
    settings = _block_settings(SETTINGS_BLOCK)
    assert settings.database_url is not None
    assert settings.database_url.get_secret_value() == URL  # a SecretStr: hidden in repr()
    assert "s3cr" not in repr(settings)

    again = setup(config=SetupConfig(database_url=URL))
    assert _actions(again)[("block sqlalchemy-connector", DATABASE_BLOCK)] == "unchanged"
    assert _actions(again)[("block hirehound-settings", SETTINGS_BLOCK)] == "unchanged"

    moved = URL.replace("db.internal", "db2.internal")
    third = setup(config=SetupConfig(database_url=moved))
    assert _actions(third)[("block sqlalchemy-connector", DATABASE_BLOCK)] == "updated"
    # The link did not change, so the settings block did not either; it reads the new host.
    assert _actions(third)[("block hirehound-settings", SETTINGS_BLOCK)] == "unchanged"
    settings = _block_settings(SETTINGS_BLOCK)
    assert settings.database_url is not None
    assert settings.database_url.get_secret_value() == moved  # a SecretStr: hidden in repr()
    assert "s3cr" not in repr(settings)


def test_a_settings_block_without_a_database_keeps_the_workers_own(no_blocks: None) -> None:
    from blocks import SETTINGS_BLOCK
    from deployments.setup import SetupConfig, setup
    from flows._runtime import _block_settings
    from hirehound.settings import Settings

    setup(config=SetupConfig())
    assert _block_settings(SETTINGS_BLOCK).database_url == Settings().database_url
