"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-29 00:36:35.308174
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The vector size follows the configured embedding provider at the time of the first upgrade.
    DIM = int(context.config.attributes.get("embedding_dim", 256))
    op.create_table('circuit_breakers',
    sa.Column('service', sa.String(), nullable=False),
    sa.Column('state', sa.String(), server_default='closed', nullable=False),
    sa.Column('consecutive_failures', sa.Integer(), server_default='0', nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('service')
    )
    op.create_table('dead_letters',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('flow_name', sa.String(), nullable=True),
    sa.Column('flow_run_id', sa.String(), nullable=True),
    sa.Column('task_name', sa.String(), nullable=True),
    sa.Column('step', sa.String(), nullable=False),
    sa.Column('error_type', sa.String(), nullable=False),
    sa.Column('detail', sa.String(), nullable=False),
    sa.Column('source', sa.String(), nullable=True),
    sa.Column('source_id', sa.String(), nullable=True),
    sa.Column('posting_id', sa.BigInteger(), nullable=True),
    sa.Column('organization_id', sa.BigInteger(), nullable=True),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('inputs', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='1', nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_dead_letters_created_at'), 'dead_letters', ['created_at'], unique=False)
    op.create_index(op.f('ix_dead_letters_posting_id'), 'dead_letters', ['posting_id'], unique=False)
    op.create_table('duplicate_clusters',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('canonical_posting_id', sa.BigInteger(), nullable=True),
    sa.Column('size', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('revalidated_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_duplicate_clusters_canonical_posting_id'), 'duplicate_clusters', ['canonical_posting_id'], unique=False)
    op.create_table('hirehound_meta',
    sa.Column('key', sa.String(), nullable=False),
    sa.Column('value', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('ingest_runs',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('flow_run_id', sa.String(), nullable=True),
    sa.Column('targets', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('counts', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('status', sa.String(), server_default='running', nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_ingest_runs_flow_run_id'), 'ingest_runs', ['flow_run_id'], unique=False)
    op.create_table('organizations',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('normalized_name', sa.String(), nullable=False),
    sa.Column('aliases', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('domain', sa.String(), nullable=True),
    sa.Column('website', sa.String(), nullable=True),
    sa.Column('description', sa.String(), nullable=True),
    sa.Column('industry', sa.String(), nullable=True),
    sa.Column('size_bucket', sa.String(), nullable=True),
    sa.Column('employee_count', sa.Integer(), nullable=True),
    sa.Column('founded_year', sa.SmallInteger(), nullable=True),
    sa.Column('hq_city', sa.String(), nullable=True),
    sa.Column('hq_region', sa.String(), nullable=True),
    sa.Column('hq_country', sa.String(length=2), nullable=True),
    sa.Column('hq_lat', sa.Double(), nullable=True),
    sa.Column('hq_lon', sa.Double(), nullable=True),
    sa.Column('logo_url', sa.String(), nullable=True),
    sa.Column('sources', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('conflicts', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('embedding', Vector(DIM), nullable=True),
    sa.Column('merged_into_id', sa.BigInteger(), nullable=True),
    sa.Column('enriched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['merged_into_id'], ['organizations.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('normalized_name')
    )
    op.create_index(op.f('ix_organizations_domain'), 'organizations', ['domain'], unique=False)
    op.create_table('raw_postings',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(), nullable=False),
    sa.Column('source_id', sa.String(), nullable=False),
    sa.Column('url', sa.String(), nullable=True),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('record', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('content_hash', sa.String(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source', 'source_id')
    )
    op.create_table('skills',
    sa.Column('id', sa.String(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('category', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('organization_aliases',
    sa.Column('alias_normalized', sa.String(), nullable=False),
    sa.Column('organization_id', sa.BigInteger(), nullable=False),
    sa.Column('alias', sa.String(), nullable=False),
    sa.Column('source', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('alias_normalized')
    )
    op.create_index(op.f('ix_organization_aliases_organization_id'), 'organization_aliases', ['organization_id'], unique=False)
    op.create_table('postings',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(), nullable=False),
    sa.Column('source_id', sa.String(), nullable=False),
    sa.Column('url', sa.String(), nullable=True),
    sa.Column('canonical_url', sa.String(), nullable=True),
    sa.Column('title', sa.String(), nullable=True),
    sa.Column('company', sa.String(), nullable=True),
    sa.Column('organization_id', sa.BigInteger(), nullable=True),
    sa.Column('location_raw', sa.String(), nullable=True),
    sa.Column('city', sa.String(), nullable=True),
    sa.Column('region', sa.String(), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('remote', sa.Boolean(), nullable=True),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('lon', sa.Double(), nullable=True),
    sa.Column('employment_type', sa.String(), nullable=True),
    sa.Column('date_posted', sa.DateTime(timezone=True), nullable=True),
    sa.Column('valid_through', sa.DateTime(timezone=True), nullable=True),
    sa.Column('salary_min', sa.Float(), nullable=True),
    sa.Column('salary_max', sa.Float(), nullable=True),
    sa.Column('salary_currency', sa.String(length=3), nullable=True),
    sa.Column('salary_period', sa.String(), nullable=True),
    sa.Column('description_html', sa.String(), nullable=True),
    sa.Column('description_text', sa.String(), nullable=True),
    sa.Column('description_truncated', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('content_hash', sa.String(), nullable=True),
    sa.Column('quality_score', sa.Double(), nullable=True),
    sa.Column('quality_missing', postgresql.ARRAY(sa.Text()), nullable=True),
    sa.Column('spam_score', sa.Double(), nullable=True),
    sa.Column('is_spam', sa.Boolean(), nullable=True),
    sa.Column('spam_reasons', postgresql.ARRAY(sa.Text()), nullable=True),
    sa.Column('status', sa.String(), server_default='pending', nullable=False),
    sa.Column('status_reason', sa.String(), nullable=True),
    sa.Column('cluster_id', sa.BigInteger(), nullable=True),
    sa.Column('dedup_kind', sa.String(), nullable=True),
    sa.Column('dedup_of', sa.BigInteger(), nullable=True),
    sa.Column('search_document', postgresql.TSVECTOR(), nullable=True),
    sa.Column('step', sa.String(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['cluster_id'], ['duplicate_clusters.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['id'], ['raw_postings.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source', 'source_id')
    )
    op.create_index(op.f('ix_postings_canonical_url'), 'postings', ['canonical_url'], unique=False)
    op.create_index(op.f('ix_postings_cluster_id'), 'postings', ['cluster_id'], unique=False)
    op.create_index(op.f('ix_postings_content_hash'), 'postings', ['content_hash'], unique=False)
    op.create_index(op.f('ix_postings_organization_id'), 'postings', ['organization_id'], unique=False)
    op.create_index('ix_postings_search_document', 'postings', ['search_document'], unique=False, postgresql_using='gin')
    op.create_index('ix_postings_status_date', 'postings', ['status', 'date_posted'], unique=False)
    op.create_table('search_vectors',
    sa.Column('cluster_id', sa.BigInteger(), nullable=False),
    sa.Column('posting_id', sa.BigInteger(), nullable=False),
    sa.Column('embedding', Vector(DIM), nullable=False),
    sa.ForeignKeyConstraint(['cluster_id'], ['duplicate_clusters.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cluster_id')
    )
    op.create_index(op.f('ix_search_vectors_posting_id'), 'search_vectors', ['posting_id'], unique=False)
    op.create_table('dedup_band_keys',
    sa.Column('band', sa.SmallInteger(), nullable=False),
    sa.Column('key', sa.BigInteger(), nullable=False),
    sa.Column('posting_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['posting_id'], ['postings.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('band', 'key', 'posting_id')
    )
    op.create_index(op.f('ix_dedup_band_keys_posting_id'), 'dedup_band_keys', ['posting_id'], unique=False)
    op.create_table('posting_embeddings',
    sa.Column('posting_id', sa.BigInteger(), nullable=False),
    sa.Column('organization_id', sa.BigInteger(), nullable=True),
    sa.Column('title', Vector(DIM), nullable=True),
    sa.Column('description', Vector(DIM), nullable=True),
    sa.Column('combined', Vector(DIM), nullable=False),
    sa.ForeignKeyConstraint(['posting_id'], ['postings.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('posting_id')
    )
    op.create_index(op.f('ix_posting_embeddings_organization_id'), 'posting_embeddings', ['organization_id'], unique=False)
    op.create_table('posting_skills',
    sa.Column('posting_id', sa.BigInteger(), nullable=False),
    sa.Column('skill_id', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['posting_id'], ['postings.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], ),
    sa.PrimaryKeyConstraint('posting_id', 'skill_id')
    )
    op.create_index(op.f('ix_posting_skills_skill_id'), 'posting_skills', ['skill_id'], unique=False)
    # Postings are updated once per pipeline step: free space on each page lets
    # PostgreSQL keep updates that touch no indexed column on the page (HOT updates).
    op.execute("alter table postings set (fillfactor = 80)")
    # HNSW (cosine) where nearest-neighbour search runs: search and organization matching.
    # ef_construction 40 (default 64): every new job pays an HNSW insert on the ingest path,
    # whose cost grows with it; search recall is tuned at query time (hnsw.ef_search).
    op.create_index(
        "ix_search_vectors_embedding_hnsw", "search_vectors", ["embedding"],
        postgresql_using="hnsw", postgresql_ops={"embedding": "vector_cosine_ops"},
        postgresql_with={"m": 16, "ef_construction": 40},
    )
    op.create_index(
        "ix_organizations_embedding_hnsw", "organizations", ["embedding"],
        postgresql_using="hnsw", postgresql_ops={"embedding": "vector_cosine_ops"},
    )
    op.execute(
        sa.text("insert into hirehound_meta (key, value) values ('embedding_dim', :d)")
        .bindparams(d=str(DIM))
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_posting_skills_skill_id'), table_name='posting_skills')
    op.drop_table('posting_skills')
    op.drop_index(op.f('ix_posting_embeddings_organization_id'), table_name='posting_embeddings')
    op.drop_table('posting_embeddings')
    op.drop_index(op.f('ix_dedup_band_keys_posting_id'), table_name='dedup_band_keys')
    op.drop_table('dedup_band_keys')
    op.drop_index(op.f('ix_search_vectors_posting_id'), table_name='search_vectors')
    op.drop_table('search_vectors')
    op.drop_index('ix_postings_status_date', table_name='postings')
    op.drop_index('ix_postings_search_document', table_name='postings', postgresql_using='gin')
    op.drop_index(op.f('ix_postings_organization_id'), table_name='postings')
    op.drop_index(op.f('ix_postings_content_hash'), table_name='postings')
    op.drop_index(op.f('ix_postings_cluster_id'), table_name='postings')
    op.drop_index(op.f('ix_postings_canonical_url'), table_name='postings')
    op.drop_table('postings')
    op.drop_index(op.f('ix_organization_aliases_organization_id'), table_name='organization_aliases')
    op.drop_table('organization_aliases')
    op.drop_table('skills')
    op.drop_table('raw_postings')
    op.drop_index(op.f('ix_organizations_domain'), table_name='organizations')
    op.drop_table('organizations')
    op.drop_index(op.f('ix_ingest_runs_flow_run_id'), table_name='ingest_runs')
    op.drop_table('ingest_runs')
    op.drop_table('hirehound_meta')
    op.drop_index(op.f('ix_duplicate_clusters_canonical_posting_id'), table_name='duplicate_clusters')
    op.drop_table('duplicate_clusters')
    op.drop_index(op.f('ix_dead_letters_posting_id'), table_name='dead_letters')
    op.drop_index(op.f('ix_dead_letters_created_at'), table_name='dead_letters')
    op.drop_table('dead_letters')
    op.drop_table('circuit_breakers')
