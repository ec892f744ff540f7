"""Text fingerprints: normalized tokens, content hash, numpy MinHash and LSH band keys.

The input is the posting's clean text (`postings.description_text`, from hirehound.text), so an
HTML original, its plain-text and its Markdown copy already read alike; this module only drops
what formats still disagree on (case, punctuation, Markdown marks, a "... Read more" tail).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from hirehound.dedup._config import DedupConfig

_TOKEN = re.compile(r"\w+")
# Link targets: a plain-text or Markdown copy spells out URLs that the HTML kept in href.
_URL = re.compile(r"\(?(?:https?://|www\.)[^\s)\]]+\)?", re.IGNORECASE)
# Aggregators cut a description and append a link label; the cut text is what's compared.
_TRUNCATION_TAIL = re.compile(
    r"(?:\.\.\.|…)?\s*\[?\(?(?:read|see|show|view)\s+(?:more|full\s+(?:description|posting|job))"
    r"\)?\]?(?:\([^)]*\))?\s*$|(?:\.\.\.|…)\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class TextPrint:
    """What the text stages need of one description."""

    content_hash: str | None  # None for an empty text
    signature: np.ndarray  # uint32[num_perm]; all 0xFFFFFFFF when there are no shingles
    n_shingles: int
    truncated: bool  # ended with a "... Read more" style marker


def normalize_tokens(text: str | None) -> tuple[list[str], bool]:
    """Lower-cased word tokens of a clean text, and whether it carried a truncation marker."""
    if not text:
        return [], False
    window = text[-80:]
    tail = _TRUNCATION_TAIL.search(window)
    truncated = tail is not None
    if tail is not None:
        text = text[: len(text) - len(window) + tail.start()]
    if "http" in text or "www." in text:
        text = _URL.sub(" ", text)
    text = unicodedata.normalize("NFKC", text).casefold()
    # "_" is a word character for \w but Markdown emphasis in copies ("__Heading__").
    return _TOKEN.findall(text.replace("_", " ")), truncated


def content_hash(tokens: list[str]) -> str | None:
    """Hash of the normalized text: equal for copies that differ only in format."""
    if not tokens:
        return None
    return hashlib.blake2b(" ".join(tokens).encode(), digest_size=16).hexdigest()


_TOKEN_HASHES: dict[str, int] = {}


@lru_cache(maxsize=4)
def _perm(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    # Fixed seed: signatures are stored, so every process must draw the same permutations.
    rng = np.random.default_rng(20251128)
    a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    return a, b


@lru_cache(maxsize=4)
def _band_mult(rows: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    return rng.integers(1, 2**63, size=rows, dtype=np.uint64) | np.uint64(1)


def shingle_hashes(tokens: list[str], k: int) -> np.ndarray:
    """Distinct 64-bit hashes of the word k-grams (the whole text when shorter than k)."""
    if not tokens:
        return np.empty(0, dtype=np.uint64)
    # crc32 is stable across processes (Python's hash() is salted); postings reuse a small
    # vocabulary, so a bounded cache turns most tokens into one dict lookup (~3x faster).
    cache = _TOKEN_HASHES
    if len(cache) > 500_000:
        cache.clear()
    hs = []
    for w in tokens:
        h = cache.get(w)
        if h is None:
            h = cache[w] = zlib.crc32(w.encode())
        hs.append(h)
    t = np.array(hs, dtype=np.uint64)
    if len(t) < k:
        k = len(t)
    h = t[: len(t) - k + 1].copy()
    with np.errstate(over="ignore"):
        for i in range(1, k):
            h = h * np.uint64(0x9E3779B97F4A7C15) + t[i : len(t) - k + 1 + i]
    return np.unique(h)


def minhash(shingles: np.ndarray, num_perm: int) -> np.ndarray:
    """MinHash signature (multiply-shift hashing, uint32) of a set of 64-bit shingle hashes."""
    if shingles.size == 0:
        return np.full(num_perm, 0xFFFFFFFF, dtype=np.uint32)
    a, b = _perm(num_perm)
    with np.errstate(over="ignore"):
        hv = (a[:, None] * shingles[None, :] + b[:, None]) >> np.uint64(32)
    return hv.min(axis=1).astype(np.uint32)


def text_print(text: str | None, config: DedupConfig) -> TextPrint:
    """Content hash and MinHash signature of one clean description."""
    tokens, truncated = normalize_tokens(text)
    sh = shingle_hashes(tokens, config.shingle_size)
    return TextPrint(content_hash(tokens), minhash(sh, config.num_perm), int(sh.size), truncated)


def band_keys(signature: np.ndarray, config: DedupConfig) -> list[int]:
    """One signed 64-bit key per LSH band (BIGINT-safe); [] for an empty signature."""
    if signature.size == 0 or bool((signature == 0xFFFFFFFF).all()):
        return []
    rows = config.lsh_rows
    m = _band_mult(rows)
    sig = signature[: config.lsh_bands * rows].astype(np.uint64).reshape(config.lsh_bands, rows)
    with np.errstate(over="ignore"):
        keys = (sig * m[None, :]).sum(axis=1, dtype=np.uint64)
    return [int(x) for x in keys.view(np.int64)]


def jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.count_nonzero(sig_a == sig_b)) / sig_a.size


def similarity(a: TextPrint, b: TextPrint, config: DedupConfig) -> tuple[float, str]:
    """Best text evidence for the pair: (score, "jaccard" | "containment" | "hash")."""
    if a.content_hash is not None and a.content_hash == b.content_hash:
        return 1.0, "hash"
    if a.n_shingles == 0 or b.n_shingles == 0:
        return 0.0, "jaccard"
    eq = int(np.count_nonzero(a.signature == b.signature))
    j = eq / a.signature.size
    small, large = (a, b) if a.n_shingles <= b.n_shingles else (b, a)
    if small.n_shingles <= config.containment_max_ratio * large.n_shingles and eq:
        # Containment of the shorter text in the longer, from the same signatures: a permutation
        # whose minimum falls in the shorter text only (small < large) is a shingle of it that
        # the longer text lacks; |S n L| / |S| = eq / (eq + lt). A true prefix gives lt = 0,
        # whatever the lengths (the size-based estimate is noisy for a 40% prefix).
        lt = int(np.count_nonzero(small.signature < large.signature))
        c = eq / (eq + lt)
        if c > j:
            return c, "containment"
    return j, "jaccard"


def hash64(*parts: str) -> int:
    """Signed 64-bit hash of strings (attribute keys stored as BIGINT band keys)."""
    d = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(d, "big", signed=True)


__all__ = [
    "TextPrint",
    "band_keys",
    "content_hash",
    "hash64",
    "jaccard",
    "minhash",
    "normalize_tokens",
    "shingle_hashes",
    "similarity",
    "text_print",
]
