"""The concerns Hirehound's work is divided by, and their limits: one place for the names.

Each concern has a work queue in the `hirehound` pool (how many flow runs at once, across every
worker) and a global concurrency limit of the same name and size (how many task slots at once,
across every run). `hirehound setup` creates both from here; tasks and flows take the limits
by these names. The rate limits are token buckets: `allowed` per `period_s`.
"""

from __future__ import annotations

WORK_POOL = "hirehound"

CRITICAL = "critical"
SCRAPING = "scraping"
PROCESSING = "processing"
ENRICHMENT = "enrichment"
ML = "ml"
INDEXING = "indexing"
DEDUPLICATION = "deduplication"
MAINTENANCE = "maintenance"
CRON = "cron"

# Concern -> concurrent flow runs (its work queue) and task slots (its global limit).
QUEUES: dict[str, int] = {
    CRITICAL: 10,
    SCRAPING: 5,
    PROCESSING: 20,
    ENRICHMENT: 10,
    ML: 5,
    INDEXING: 10,
    DEDUPLICATION: 15,
    MAINTENANCE: 3,
    CRON: 5,
}

SCRAPING_RATE = "scraping-rate"
ENRICHMENT_RATE = "enrichment-rate"
# Rate limit -> (allowed, per seconds).
RATE_LIMITS: dict[str, tuple[int, float]] = {
    SCRAPING_RATE: (100, 60.0),
    ENRICHMENT_RATE: (50, 60.0),
}

# The event a flow run emits when it wrote dead letters (flows/dead_letters.py), and the
# resource labels the alert automations match (`hirehound setup`): a trigger matches labels,
# never payload numbers, so the run's dead-lettered share travels as a whole percent.
DEAD_LETTERS_EVENT = "hirehound.dead-letters.recorded"
DEAD_LETTER_SHARE_LABEL = "hirehound.dead-letter-share-pct"
WORK_QUEUE_LABEL = "hirehound.work-queue"
