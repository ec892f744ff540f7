"""Organization-enrichment schema (owned by the enrichment work)

Fuzzy dedup needs blocking without pg_trgm (absent from the embedded server): a generated
`block_keys` array holds every token of the normalized name plus "~" + the first four letters
of its space-free form; a GIN index answers "organizations sharing a key" by index lookup.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BLOCK_KEYS = (
    "array_remove(string_to_array(normalized_name, ' '), '')"
    " || ('~' || left(replace(normalized_name, ' ', ''), 4))"
)


def upgrade() -> None:
    op.execute(
        f"alter table organizations add column block_keys text[]"
        f" generated always as ({BLOCK_KEYS}) stored"
    )
    op.execute("create index ix_organizations_block_keys on organizations using gin (block_keys)")
    op.execute("create index ix_organizations_enriched_at on organizations (enriched_at)")


def downgrade() -> None:
    op.execute("drop index if exists ix_organizations_enriched_at")
    op.execute("drop index if exists ix_organizations_block_keys")
    op.execute("alter table organizations drop column if exists block_keys")
