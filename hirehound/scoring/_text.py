"""Text preprocessing shared by the spam model's training script and its runtime."""

from __future__ import annotations

import itertools
import re

TOKEN_RE = re.compile(r"[a-z0-9]+")


def tokens(text: str, stop_words: frozenset[str]) -> list[str]:
    """Lowercase word tokens without stop words: how the EMSCAD training text was prepared."""
    return [t for t in TOKEN_RE.findall(text.lower()) if t not in stop_words]


def terms(toks: list[str]) -> list[str]:
    """Unigrams and bigrams over the stop-word-free tokens (sklearn's order of operations)."""
    return toks + [f"{a} {b}" for a, b in itertools.pairwise(toks)]
