"""The source registry: one adapter per module, and everything else reads it."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
import yaml

from hirehound.sources import SourceKind
from hirehound.sources._adapter import SourceAdapter, adapters, board_kinds, kinds

ROOT = Path(__file__).resolve().parents[3]


def test_every_kind_is_registered_once_and_named_by_source_kind() -> None:
    assert set(kinds()) == {"ashby", "greenhouse", "lever", "smartrecruiters", "personio",
                            "jobspy", "generic", "jsonld", "page"}
    assert typing.get_args(SourceKind) == kinds()
    assert set(board_kinds()) == {"ashby", "greenhouse", "lever", "smartrecruiters", "personio"}
    assert all(a.crawlable == (a.board_api is not None) for a in adapters())


def test_prefect_yaml_names_registered_kinds_only() -> None:
    deployments = yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]
    named = {d["parameters"]["source"] for d in deployments
             if isinstance(d.get("parameters"), dict) and d["parameters"].get("source")}
    assert named and named <= set(kinds())


def test_an_adapter_parses_documents_or_records_not_both() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        SourceAdapter(kind="x")
    with pytest.raises(ValueError, match="exactly one"):
        SourceAdapter(kind="x", parse=lambda d, origin="": iter(()), record=lambda r: r)
