"""Text fingerprints: hash, MinHash Jaccard and containment, band keys, canonical URLs."""

from __future__ import annotations

import pytest

from hirehound.dedup import DEFAULT_CONFIG as CFG
from hirehound.dedup._text import (
    band_key_matrix,
    band_keys,
    content_hash,
    minhash,
    normalize_tokens,
    shingle_hashes,
    similarity,
    text_print,
    text_prints,
)
from hirehound.dedup._url import canonical_url
from tests.unit.dedup._synthetic import text_of


def test_format_only_differences_give_the_same_hash() -> None:
    html_text = "About us\n\n- Build things\n- Ship them\n\nApply at acme today"
    markdown = (
        "## ABOUT US\n\n* **Build** things\n* Ship them\n\n"
        "Apply at [acme](https://acme.com/jobs) today"
    )
    assert text_print(html_text, CFG).content_hash == text_print(markdown, CFG).content_hash


def test_truncation_marker_is_dropped_and_flagged() -> None:
    tokens, truncated = normalize_tokens("We build tools for teams... Read more")
    assert truncated and tokens[-1] == "teams"
    assert normalize_tokens("We build tools.")[1] is False


def test_edited_copy_is_near_and_unrelated_text_is_not() -> None:
    base = text_of(1)
    words = base.split()
    edited = " ".join(words[:150] + words[170:] + ["join", "us", "today"])
    score, how = similarity(text_print(base, CFG), text_print(edited, CFG), CFG)
    assert how == "jaccard" and score >= CFG.near_jaccard
    score, _ = similarity(text_print(base, CFG), text_print(text_of(2), CFG), CFG)
    assert score < CFG.possible_similarity


@pytest.mark.parametrize("kept", [0.4, 0.5, 0.6])
def test_truncated_prefix_is_contained(kept: float) -> None:
    base = text_of(3, 800)
    cut = base[: int(len(base) * kept)] + "... Read more"
    score, how = similarity(text_print(cut, CFG), text_print(base, CFG), CFG)
    assert how == "containment" and score >= CFG.near_containment


def test_near_copies_share_a_band_key() -> None:
    a = text_print(text_of(4), CFG)
    b = text_print(text_of(4) + " one more line", CFG)
    assert set(band_keys(a.signature, CFG)) & set(band_keys(b.signature, CFG))
    assert len(band_keys(a.signature, CFG)) == CFG.lsh_bands
    assert band_keys(text_print("", CFG).signature, CFG) == []


def test_batch_prints_equal_one_text_at_a_time() -> None:
    """text_prints vectorizes over the batch; it must give exactly the per-text values
    (signatures are stored: a changed value would split old and new copies)."""
    texts = [text_of(s, n) for s, n in [(5, 400), (6, 30), (7, 1200)]]
    texts += ["", None, "one", "two words", "a b c", "We hire... Read more", "x " * 3000]
    texts.insert(2, texts[0])  # the same text twice in one batch
    for batch in (texts, texts[::-1], texts[3:5]):
        for got, text in zip(text_prints(batch, CFG), batch, strict=True):
            tokens, truncated = normalize_tokens(text)
            sh = shingle_hashes(tokens, CFG.shingle_size)
            assert got.content_hash == content_hash(tokens)
            assert got.n_shingles == sh.size and got.truncated == truncated
            assert got.signature.dtype == "uint32"
            assert (got.signature == minhash(sh, CFG.num_perm)).all()
            keys, ok = band_key_matrix(got.signature[None, :], CFG)
            assert (keys[0].tolist() if ok[0] else []) == band_keys(got.signature, CFG)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://jobs.ashbyhq.com/acme/42", "https://jobs.ashbyhq.com/acme/42/?utm_source=x"),
        ("https://www.acme.com/jobs?id=3&gh_src=abc", "http://acme.com/jobs?id=3#apply"),
        ("https://acme.com/jobs?b=2&a=1", "https://ACME.com/jobs?a=1&b=2&fbclid=zz"),
    ],
)
def test_canonical_url_drops_tracking(a: str, b: str) -> None:
    assert canonical_url(a) == canonical_url(b)


def test_canonical_url_keeps_identity_parameters() -> None:
    assert canonical_url("https://acme.com/jobs?id=3") != canonical_url(
        "https://acme.com/jobs?id=4"
    )
    assert canonical_url("not a url") is None


def test_fingerprint_values_are_pinned() -> None:
    """Signatures, band keys and hashes are stored: values computed by the first (per-text)
    implementation must not change, or new postings stop meeting their stored copies."""
    text = (
        "Senior Data Engineer at Acme. You will build pipelines, own the warehouse and mentor "
        "two engineers. Apply today."
    )
    tp = text_print(text, CFG)
    assert tp.content_hash == "cbf6ace4a5db5e5593dae934df613a3f"
    assert tp.n_shingles == 16
    assert tp.signature[:4].tolist() == [71686622, 149172422, 441932537, 365661863]
    assert band_keys(tp.signature, CFG)[:3] == [
        -3552268463776836904,
        -7803411852636533627,
        532964767761645726,
    ]
