"""The enrichment source registry: names, precedence and secrets come from one place."""

from __future__ import annotations

from hirehound import enrichment as en
from hirehound.enrichment._registry import get_adapter
from hirehound.settings import Settings


def test_registry_drives_names_precedence_and_secrets() -> None:
    assert en.SOURCE_NAMES == ("website", "reference", "clearbit", "crunchbase")
    assert en.precedence("description") == ("website", "clearbit", "crunchbase", "reference")
    assert en.precedence("hq_city") == ("clearbit", "crunchbase", "website", "reference")
    assert en.secret_blocks() == {"clearbit": "clearbit-api-key",
                                  "crunchbase": "crunchbase-api-key"}
    from blocks import SECRET_BLOCKS

    assert SECRET_BLOCKS == {"clearbit-api-key": "HIREHOUND_CLEARBIT_API_KEY",
                             "crunchbase-api-key": "HIREHOUND_CRUNCHBASE_API_KEY"}


def test_every_merged_field_has_a_provider() -> None:
    from hirehound.enrichment._merge import MERGED_FIELDS

    provided = {f for a in en.enrichment_adapters() for f in a.fields}
    assert set(MERGED_FIELDS) <= provided


def test_sources_without_credentials_are_left_out() -> None:
    settings = Settings()
    assert en.build_source("clearbit", settings) is None
    assert en.build_source("clearbit", settings, en.ApiCredentials("k")) is not None
    assert en.build_source("reference", settings) is not None
    assert get_adapter("website").rank_for("logo_url") == 1
