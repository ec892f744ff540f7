from __future__ import annotations

import os

import numpy as np
import pytest

from hirehound.embeddings import HashingEmbedder, get_embedder
from hirehound.errors import ConfigurationError
from hirehound.settings import Settings

TEXTS = [
    "Senior Python Engineer",
    "We build payments infrastructure. " * 80,
    "",  # empty text: a zero vector, never NaN
    "Ingénieur logiciel (H/F) — Paris",
]


def test_wordllama_matches_the_library_pooling() -> None:
    import wordllama
    from wordllama import WordLlama

    ours = get_embedder(Settings(embedding_provider="wordllama")).embed(TEXTS)
    ref = WordLlama.load(
        cache_dir=os.path.dirname(wordllama.__file__), disable_download=True
    ).embed([t or " " for t in TEXTS])
    ref /= np.maximum(np.linalg.norm(ref, axis=1, keepdims=True), 1e-9)
    assert ours.shape == (4, 256) and ours.dtype == np.float32
    cos = (ours * ref).sum(axis=1)
    assert np.all(cos[[0, 1, 3]] > 0.9999)
    assert not np.isnan(ours).any()


@pytest.mark.parametrize("provider", ["wordllama", "hashing"])
def test_rows_have_unit_norm_or_are_zero(provider: str) -> None:
    m = get_embedder(Settings(embedding_provider=provider)).embed(TEXTS)
    norms = np.linalg.norm(m, axis=1)
    assert np.all((np.abs(norms - 1) < 1e-5) | (norms == 0))


def test_similar_titles_are_closer_than_unrelated_ones() -> None:
    e = get_embedder(Settings(embedding_provider="wordllama"))
    a, b, c = e.embed(["Senior Backend Engineer", "Sr. Backend Software Engineer", "Pastry Chef"])
    assert a @ b > a @ c


def test_hashing_is_deterministic() -> None:
    first, again = HashingEmbedder(64).embed(["a b c"]), HashingEmbedder(64).embed(["a b c"])
    assert np.array_equal(first, again)


def test_bad_dimension_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="64, 128 or 256"):
        get_embedder(Settings(embedding_provider="wordllama", embedding_dim=300))


def test_openai_without_credentials_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="HIREHOUND_OPENAI_API_KEY"):
        get_embedder(Settings(embedding_provider="openai"))
