"""Secrets never in a repr or a log line: database URL, API keys, the alert webhook URL."""

from __future__ import annotations

import logging

import pytest

from hirehound.settings import Settings

DB_URL = "postgresql://hound:s3cr3t-pw@db.internal:5432/corpus"


def test_settings_repr_hides_the_database_url_and_api_key() -> None:
    s = Settings(database_url=DB_URL, openai_api_key="sk-s3cr3t")
    assert "s3cr3t" not in repr(s) and "s3cr3t" not in str(s)
    assert s.database_url is not None and s.database_url.get_secret_value() == DB_URL


def test_settings_from_the_environment_hide_it_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIREHOUND_DATABASE_URL", DB_URL)
    assert "s3cr3t" not in repr(Settings())


def test_setup_config_repr_hides_secrets() -> None:
    from deployments.setup import SetupConfig

    config = SetupConfig(
        alert_webhook_url="https://hooks.example.com/T000/B000/s3cr3t-token",
        database_url=DB_URL,
        embedding={"openai_api_key": "sk-s3cr3t"},
        secrets={"clearbit-api-key": "s3cr3t-key"},
    )
    assert "s3cr3t" not in repr(config)


def test_an_unparseable_database_url_is_not_echoed() -> None:
    from hirehound.errors import ConfigurationError
    from hirehound.storage import db

    with pytest.raises(ConfigurationError) as info:
        db.resolve_url(Settings(database_url="postgresql://hound:s3cr3t-pw@db:notaport/x"))
    assert "s3cr3t" not in str(info.value)


def test_fetch_errors_and_retry_logs_hide_credentials(caplog: pytest.LogCaptureFixture) -> None:
    from hirehound import net

    caplog.set_level(logging.DEBUG)
    policy = net.AddressPolicy.of(allow_private=True, resolver=lambda h, p: ["127.0.0.1"])
    with net.GuardedClient(policy, timeout=0.5) as client, pytest.raises(net.Retryable) as info:
        # Port 9 on loopback: refused at once; the URL carries a password and an API key.
        net.RetryPolicy(attempts=2, initial_s=0.01, max_s=0.01).call(
            lambda: net.fetch(client, "http://u:s3cr3t@h.example:9/x?api_key=s3cr3t")
        )
    assert "s3cr3t" not in str(info.value)
    assert "s3cr3t" not in caplog.text
