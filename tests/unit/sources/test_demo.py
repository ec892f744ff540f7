"""The bundled demo sample is complete, readable and holds real cross-source duplicates."""

from __future__ import annotations

import json
from collections import Counter

from hirehound.records import SourcePosting
from hirehound.settings import Settings
from hirehound.sources import demo_targets, read_postings
from hirehound.sources._demo import DEMO_DIR


def test_demo_sample_reads_cleanly(settings: Settings) -> None:
    targets = demo_targets()
    assert {kind for kind, _ in targets} == {"ashby", "jobspy", "generic", "jsonld"}
    postings: list[SourcePosting] = []
    for kind, path in targets:
        items = list(read_postings(str(path), kind=kind, settings=settings))
        assert all(isinstance(i, SourcePosting) for i in items), path
        postings += items  # type: ignore[arg-type]
    assert Counter(p.source == "ashby" for p in postings)[True] >= 41
    keys = {(p.source, p.source_id) for p in postings}
    assert len(keys) == len(postings)
    expected = json.loads((DEMO_DIR / "expected_duplicates.json").read_text())
    for pair in expected["ashby_copies"] + expected["jsonld_copies"]:
        assert tuple(pair["copy"]) in keys and tuple(pair["of"]) in keys
    for group in expected["jobspy_cross_site_groups"]:
        assert len(group["sites"]) >= 2
    size = sum(p.stat().st_size for p in DEMO_DIR.rglob("*") if p.is_file())
    assert size < 1_500_000
