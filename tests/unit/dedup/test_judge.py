"""Pairwise verdicts: text only ever confirms what the attributes allow."""

from __future__ import annotations

from typing import Any

from hirehound.dedup import DEFAULT_CONFIG as CFG
from hirehound.dedup._judge import fingerprint, judge
from tests.unit.dedup._synthetic import text_of


def fp(pid: int, **kw: Any) -> Any:
    fields: dict[str, Any] = {
        "organization_id": 1,
        "company": "Acme",
        "title": "Senior Backend Engineer",
        "location_raw": "Berlin",
        "url": f"https://board.example.com/{pid}",
        "text": text_of(1),
    }
    fields.update(kw)
    return fingerprint(pid, config=CFG, **fields)


def test_identical_text_same_attributes_is_exact() -> None:
    v = judge(fp(1), fp(2, company="Acme, Inc."), CFG)
    assert (v.kind, v.reason) == ("exact", "content_hash")


def test_same_url_is_exact() -> None:
    v = judge(fp(1, url="https://a.com/j/1"), fp(2, url="https://a.com/j/1?utm_source=x"), CFG)
    assert v.reason == "canonical_url"


def test_hard_negatives_are_no_whatever_the_text() -> None:
    assert judge(fp(1), fp(2, location_raw="Paris"), CFG).kind == "no"
    assert judge(fp(1), fp(2, title="Staff Backend Engineer"), CFG).kind == "no"
    assert judge(fp(1), fp(2, organization_id=2, company="Globex"), CFG).kind == "no"


def test_organization_id_miss_is_rescued_by_the_company_name() -> None:
    assert judge(fp(1), fp(2, organization_id=7, company="ACME LLC"), CFG).kind == "exact"


def test_uncertain_attributes_or_middling_text_go_to_the_deep_check() -> None:
    # One name inside the other: possible, confirmed only with the embedding.
    v = judge(
        fp(1, company="Initech"), fp(2, organization_id=None, company="Initech Robotics"), CFG
    )
    assert v.kind == "possible"
    assert (
        judge(
            fp(1, company="Initech"),
            fp(2, organization_id=None, company="Initech Robotics"),
            CFG,
            cosine=0.97,
        ).kind
        == "semantic"
    )
    # No place on one side: never confirmed (it could be any city of the requisition).
    v = judge(fp(1), fp(2, location_raw=None), CFG, cosine=0.99)
    assert v.kind == "possible"
    # Same attributes, a third of the text shared.
    words = text_of(1).split()
    mixed = " ".join(words[:200] + text_of(9, 200).split())
    v = judge(fp(1), fp(2, text=mixed), CFG)
    assert v.kind == "possible"
    assert judge(fp(1), fp(2, text=mixed), CFG, cosine=0.95).kind == "semantic"
    assert judge(fp(1), fp(2, text=mixed), CFG, cosine=0.5).kind == "possible"
