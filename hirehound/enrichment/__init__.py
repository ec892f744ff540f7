"""Organization enrichment: sources, circuit breakers, merge, industry, size, logo, dedup."""

from hirehound.enrichment._industry import SECTORS, IndustryClassifier, IndustryGuess
from hirehound.enrichment._size import BUCKETS, bucket_of, bucket_of_label, estimate_bucket

__all__ = [
    "BUCKETS",
    "SECTORS",
    "IndustryClassifier",
    "IndustryGuess",
    "bucket_of",
    "bucket_of_label",
    "estimate_bucket",
]
