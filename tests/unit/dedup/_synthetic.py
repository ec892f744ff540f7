"""Synthetic texts with a known vocabulary, for similarity tests."""

from __future__ import annotations

import random

WORDS = [
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta",
    "iota", "kappa", "lambda", "mu", "nu", "xi", "omicron",
]


def text_of(seed: int, n: int = 400) -> str:
    """`n` random words (with numbers) drawn with a fixed seed."""
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) + str(rng.randrange(50)) for _ in range(n))
