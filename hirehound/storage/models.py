"""Typed SQLAlchemy 2 models: the whole schema in one file, constraints beside columns.

Vector columns are declared without a dimension here; the migration creates them with the
dimension of the configured embedding provider (stored in `hirehound_meta`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {
        dict[str, Any]: JSONB,
        list[str]: ARRAY(Text),
        datetime: DateTime(timezone=True),
    }

    def __repr__(self) -> str:
        key = getattr(self, "id", None)
        return f"<{type(self).__name__} id={key}>"


class Meta(Base):
    """Key/value facts about the database itself (embedding dimension, provider)."""

    __tablename__ = "hirehound_meta"
    key: Mapped[str] = mapped_column(primary_key=True)
    value: Mapped[str]


class RawPosting(Base):
    """A posting exactly as fetched, stored before anything else touches it."""

    __tablename__ = "raw_postings"
    __table_args__ = (UniqueConstraint("source", "source_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source: Mapped[str]
    source_id: Mapped[str]
    url: Mapped[str | None]
    payload: Mapped[dict[str, Any]]
    # sha256 of the payload: an unchanged re-fetch skips reprocessing.
    content_hash: Mapped[str]
    fetched_at: Mapped[datetime] = mapped_column(server_default=func.now())
    first_seen_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str]
    # Legal-form-free key: "1Password, Inc." and "1password" share it.
    normalized_name: Mapped[str] = mapped_column(unique=True)
    aliases: Mapped[list[str]] = mapped_column(server_default="{}")
    domain: Mapped[str | None] = mapped_column(index=True)
    website: Mapped[str | None]
    description: Mapped[str | None]
    industry: Mapped[str | None]
    size_bucket: Mapped[str | None]
    employee_count: Mapped[int | None]
    founded_year: Mapped[int | None] = mapped_column(SmallInteger)
    hq_city: Mapped[str | None]
    hq_region: Mapped[str | None]
    hq_country: Mapped[str | None] = mapped_column(String(2))
    hq_lat: Mapped[float | None]
    hq_lon: Mapped[float | None]
    logo_url: Mapped[str | None]
    # Per-field provenance {"industry": {"source": "reference", "value": ...}}, and conflicts.
    sources: Mapped[dict[str, Any]] = mapped_column(server_default="{}")
    conflicts: Mapped[dict[str, Any]] = mapped_column(server_default="{}")
    embedding: Mapped[Any | None] = mapped_column(Vector())
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    enriched_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class OrganizationAlias(Base):
    """Every normalized name an organization is known by (matching and dedup blocking)."""

    __tablename__ = "organization_aliases"

    alias_normalized: Mapped[str] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    alias: Mapped[str]
    source: Mapped[str | None]


class DuplicateCluster(Base):
    __tablename__ = "duplicate_clusters"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # The most complete, then earliest, member: the one search shows.
    canonical_posting_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    size: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    revalidated_at: Mapped[datetime | None]


class Posting(Base):
    """A normalized posting; lifecycle pending -> active/held -> expired/removed -> archived."""

    __tablename__ = "postings"
    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        Index("ix_postings_search_document", "search_document", postgresql_using="gin"),
        Index("ix_postings_status_date", "status", "date_posted"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("raw_postings.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str]
    source_id: Mapped[str]
    url: Mapped[str | None]
    canonical_url: Mapped[str | None] = mapped_column(index=True)
    title: Mapped[str | None]
    company: Mapped[str | None]
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    location_raw: Mapped[str | None]
    city: Mapped[str | None]
    region: Mapped[str | None]
    country: Mapped[str | None] = mapped_column(String(2))
    remote: Mapped[bool | None]
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    employment_type: Mapped[str | None]
    date_posted: Mapped[datetime | None]
    valid_through: Mapped[datetime | None]
    salary_min: Mapped[float | None] = mapped_column(Float)
    salary_max: Mapped[float | None] = mapped_column(Float)
    salary_currency: Mapped[str | None] = mapped_column(String(3))
    salary_period: Mapped[str | None]
    description_html: Mapped[str | None]
    description_text: Mapped[str | None]
    description_truncated: Mapped[bool] = mapped_column(server_default="false")
    # Hash of the normalized description text (exact-duplicate stage).
    content_hash: Mapped[str | None] = mapped_column(index=True)
    quality_score: Mapped[float | None]
    quality_missing: Mapped[list[str] | None]
    spam_score: Mapped[float | None]
    is_spam: Mapped[bool | None]
    spam_reasons: Mapped[list[str] | None]
    status: Mapped[str] = mapped_column(server_default="pending")
    status_reason: Mapped[str | None]
    cluster_id: Mapped[int | None] = mapped_column(
        ForeignKey("duplicate_clusters.id", ondelete="SET NULL"), index=True
    )
    # unique | exact | near | semantic: how the dedup check classified it.
    dedup_kind: Mapped[str | None]
    dedup_of: Mapped[int | None] = mapped_column(BigInteger)
    search_document: Mapped[Any | None] = mapped_column(TSVECTOR)
    # Name of the last pipeline step that completed for this posting.
    step: Mapped[str | None]
    published_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime] = mapped_column(server_default=func.now())
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class PostingEmbedding(Base):
    """Vectors of a posting. No HNSW index here: inserts into one cost 25-50x more (see DESIGN);
    dedup searches within one organization (btree), search uses `search_vectors`."""

    __tablename__ = "posting_embeddings"

    posting_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("postings.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    title: Mapped[Any | None] = mapped_column(Vector())
    description: Mapped[Any | None] = mapped_column(Vector())
    combined: Mapped[Any] = mapped_column(Vector())


class SearchVector(Base):
    """One vector per duplicate cluster (its canonical posting), HNSW-indexed for search."""

    __tablename__ = "search_vectors"

    cluster_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("duplicate_clusters.id", ondelete="CASCADE"), primary_key=True
    )
    posting_id: Mapped[int] = mapped_column(BigInteger, index=True)
    embedding: Mapped[Any] = mapped_column(Vector())


class Skill(Base):
    __tablename__ = "skills"

    id: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    category: Mapped[str | None]


class PostingSkill(Base):
    __tablename__ = "posting_skills"

    posting_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("postings.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[str] = mapped_column(ForeignKey("skills.id"), primary_key=True, index=True)


class DedupBandKey(Base):
    """MinHash LSH band keys: postings sharing any (band, key) are near-duplicate candidates."""

    __tablename__ = "dedup_band_keys"

    band: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    posting_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("postings.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class DeadLetter(Base):
    """What failed for good, with enough context to replay it."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
    flow_name: Mapped[str | None]
    flow_run_id: Mapped[str | None]
    task_name: Mapped[str | None]
    step: Mapped[str]
    error_type: Mapped[str]
    detail: Mapped[str]
    source: Mapped[str | None]
    source_id: Mapped[str | None]
    posting_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    organization_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[Any | None] = mapped_column(JSONB)
    inputs: Mapped[dict[str, Any] | None]
    attempts: Mapped[int] = mapped_column(Integer, server_default="1")
    resolved_at: Mapped[datetime | None]


class IngestRun(Base):
    """Bookkeeping of one ingestion run (what it read, what it did)."""

    __tablename__ = "ingest_runs"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    flow_run_id: Mapped[str | None] = mapped_column(index=True)
    targets: Mapped[list[str]] = mapped_column(server_default="{}")
    counts: Mapped[dict[str, Any]] = mapped_column(server_default="{}")
    status: Mapped[str] = mapped_column(server_default="running")
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None]


class CircuitBreaker(Base):
    """State of one external service's circuit breaker, shared by all workers."""

    __tablename__ = "circuit_breakers"

    service: Mapped[str] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(server_default="closed")  # closed | open | half_open
    consecutive_failures: Mapped[int] = mapped_column(Integer, server_default="0")
    opened_at: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None]
