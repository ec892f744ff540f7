"""Text fingerprints: normalized tokens, content hash, numpy MinHash and LSH band keys.

The input is the posting's clean text (`postings.description_text`, from hirehound.text), so an
HTML original, its plain-text and its Markdown copy already read alike; this module only drops
what formats still disagree on (case, punctuation, Markdown marks, a "... Read more" tail).
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

import numpy as np

from hirehound.dedup._config import DedupConfig
from hirehound.text import fold_for_match

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
    """Word tokens of a clean text in its comparison form (`fold_for_match`: Unicode noise,
    accents and case folded), and whether it carried a truncation marker."""
    if not text:
        return [], False
    text = fold_for_match(text)
    window = text[-80:]
    tail = _TRUNCATION_TAIL.search(window)
    truncated = tail is not None
    if tail is not None:
        text = text[: len(text) - len(window) + tail.start()]
    if "http" in text or "www." in text:
        text = _URL.sub(" ", text)
    # "_" is a word character for \w but Markdown emphasis in copies ("__Heading__").
    return _TOKEN.findall(text.replace("_", " ")), truncated


def content_hash(tokens: list[str]) -> str | None:
    """Hash of the normalized text: equal for copies that differ only in format."""
    if not tokens:
        return None
    return hashlib.blake2b(" ".join(tokens).encode(), digest_size=16).hexdigest()


class _TokenHashes(dict[str, int]):
    """crc32 of tokens, computed on first use: stable across processes (Python's hash() is
    salted); postings reuse a small vocabulary, so most tokens are one C-level dict lookup."""

    def __missing__(self, w: str) -> int:
        h = self[w] = zlib.crc32(w.encode())
        return h


_TOKEN_HASHES = _TokenHashes()


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
    t = _token_hashes(tokens)
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
    return text_prints([text], config)[0]


def _token_hashes(flat: list[str]) -> np.ndarray:
    """crc32 of every token, through the bounded cache."""
    if len(_TOKEN_HASHES) > 500_000:
        _TOKEN_HASHES.clear()
    return np.fromiter(map(_TOKEN_HASHES.__getitem__, flat), dtype=np.uint64, count=len(flat))


# Shingles per MinHash block: a (num_perm x block) uint64 buffer of 8 MB stays cache-friendly.
_MINHASH_BLOCK = 8192


def text_prints(texts: Sequence[str | None], config: DedupConfig) -> list[TextPrint]:
    """`text_print` of many descriptions at once: shingles and MinHash of the whole batch are a
    few numpy operations instead of several per text (same values, ~4x cheaper)."""
    parsed = [normalize_tokens(t) for t in texts]
    n, k, num_perm = len(parsed), config.shingle_size, config.num_perm
    lens = np.fromiter((len(tk) for tk, _ in parsed), dtype=np.int64, count=n)
    ends = np.cumsum(lens)
    flat = list(chain.from_iterable(tk for tk, _ in parsed))
    t = _token_hashes(flat)
    # k-gram hashes at every position of the concatenation; those crossing a text's end dropped.
    nk = t.size - k + 1
    if nk > 0:
        h = t[:nk].copy()
        with np.errstate(over="ignore"):
            for i in range(1, k):
                h *= np.uint64(0x9E3779B97F4A7C15)
                h += t[i : nk + i]
        seg = np.repeat(np.arange(n), lens)[:nk]
        valid = np.arange(nk) + k <= ends[seg]
        h, seg = h[valid], seg[valid]
        per = np.bincount(seg, minlength=n)
        stops = np.cumsum(per)
        for i in np.flatnonzero(per).tolist():
            h[stops[i] - per[i] : stops[i]].sort()
    else:
        h, seg = np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)
    # A text shorter than k is one shingle of its own length (as in shingle_hashes).
    short = np.flatnonzero((lens > 0) & (lens < k)).tolist()
    if short:
        extra = [shingle_hashes(parsed[i][0], k) for i in short]
        h = np.concatenate([h, *extra])
        seg = np.concatenate(
            [seg, *(np.full(e.size, i) for i, e in zip(short, extra, strict=True))]
        )
        order = np.argsort(seg, kind="stable")
        h, seg = h[order], seg[order]
    # Distinct shingles per text (each text's run is sorted).
    if h.size:
        keep = np.ones(h.size, dtype=bool)
        keep[1:] = (h[1:] != h[:-1]) | (seg[1:] != seg[:-1])
        h, seg = h[keep], seg[keep]
    counts = np.bincount(seg, minlength=n)
    sig = np.full((n, num_perm), 0xFFFFFFFF, dtype=np.uint32)
    nz = np.flatnonzero(counts)
    if nz.size:
        a, b = _perm(num_perm)
        bounds = np.concatenate([[0], np.cumsum(counts[nz])])
        buf = np.empty((num_perm, _MINHASH_BLOCK), dtype=np.uint64)
        i = 0
        with np.errstate(over="ignore"):
            while i < nz.size:
                # Texts i..j-1 fill one block (a longer text gets a block of its own).
                j = int(np.searchsorted(bounds, bounds[i] + _MINHASH_BLOCK, side="right")) - 1
                j = max(j, i + 1)
                lo, hi = int(bounds[i]), int(bounds[j])
                vb = buf[:, : hi - lo] if hi - lo <= _MINHASH_BLOCK else None
                vb = np.multiply(a[:, None], h[None, lo:hi], out=vb)
                vb += b[:, None]
                # min of the 64-bit values, then the high half: same as min of the high halves.
                mins = np.minimum.reduceat(vb, bounds[i:j] - lo, axis=1)
                sig[nz[i:j]] = (mins.T >> np.uint64(32)).astype(np.uint32)
                i = j
    return [
        TextPrint(content_hash(tk), sig[i], int(counts[i]), tr) for i, (tk, tr) in enumerate(parsed)
    ]


def band_keys(signature: np.ndarray, config: DedupConfig) -> list[int]:
    """One signed 64-bit key per LSH band (BIGINT-safe); [] for an empty signature."""
    if signature.size == 0:
        return []
    keys, ok = band_key_matrix(signature[None, :], config)
    return keys[0].tolist() if ok[0] else []


def band_key_matrix(signatures: np.ndarray, config: DedupConfig) -> tuple[np.ndarray, np.ndarray]:
    """`band_keys` of stacked signatures (n x num_perm): int64 keys (n x bands) and which rows
    have any (an empty text's signature has none)."""
    rows, bands = config.lsh_rows, config.lsh_bands
    m = _band_mult(rows)
    sig = signatures[:, : bands * rows].astype(np.uint64).reshape(len(signatures), bands, rows)
    with np.errstate(over="ignore"):
        keys = (sig * m[None, None, :]).sum(axis=2, dtype=np.uint64)
    ok = ~(signatures == 0xFFFFFFFF).all(axis=1)
    return keys.view(np.int64), ok


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
    "band_key_matrix",
    "band_keys",
    "content_hash",
    "hash64",
    "jaccard",
    "minhash",
    "normalize_tokens",
    "shingle_hashes",
    "similarity",
    "text_print",
    "text_prints",
]
