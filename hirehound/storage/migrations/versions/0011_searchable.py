"""What search may show, kept on its documents: `search_documents.searchable`, a partial GIN index

A posting is searchable when it is active and the canonical posting of its duplicate cluster
(search shows each job once, never a held, closed or expired one). Search used to find the
matches and then join postings and clusters to drop the rest; the planner expected one row
from the canonical join where there were 99k (at 100k postings), skipped the GIN index and
tested the match row by row: ~2 s for a broad query. With the flag, the keyword half of a
search is one scan of an index that holds searchable documents only.

The flag depends on three columns: `postings.status`, `postings.cluster_id` and
`duplicate_clusters.canonical_posting_id`. Triggers on exactly those keep it right, so every
writer (publishing, dedup's cluster moves and canonical picks, expiry, crawl closes, link
re-checks, re-ingestion's reset to pending, and any added later) does without knowing about
search. `search_searchable(id)` is the one definition; `index_postings` uses it when it writes a
document. A document's GIN entries are written once, when it becomes searchable (publishing),
instead of when it is indexed: the index holds no pending, held or duplicate documents.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_DEFINITION = """
create function search_searchable(posting bigint) returns boolean
language sql stable as $$
    select coalesce((
        select p.status = 'active' and c.canonical_posting_id = p.id
        from postings p join duplicate_clusters c on c.id = p.cluster_id
        where p.id = posting), false)
$$
"""

# Row triggers, fired only when an input of the flag changes: a status update of a chunk of
# postings costs one primary-key update per posting; other updates cost a WHEN test.
_RESYNC = """
create function search_documents_resync() returns trigger
language plpgsql as $$
declare
    ids bigint[];
begin
    if tg_table_name = 'postings' then
        ids := array[new.id];
    else
        ids := array[old.canonical_posting_id, new.canonical_posting_id];
    end if;
    update search_documents d set searchable = s.v
    from (select i, search_searchable(i) as v from unnest(ids) as i
          where i is not null) s
    where d.posting_id = s.i and d.searchable is distinct from s.v;
    return null;
end
$$
"""

_TRIGGERS = (
    """
    create trigger search_documents_posting after update of status, cluster_id on postings
    for each row when (old.status is distinct from new.status
                       or old.cluster_id is distinct from new.cluster_id)
    execute function search_documents_resync()
    """,
    """
    create trigger search_documents_canonical
    after update of canonical_posting_id on duplicate_clusters
    for each row when (old.canonical_posting_id is distinct from new.canonical_posting_id)
    execute function search_documents_resync()
    """,
)


def upgrade() -> None:
    op.add_column("search_documents", sa.Column("searchable", sa.Boolean(), nullable=False,
                                                server_default=sa.false()))
    op.execute(_DEFINITION)
    op.execute(_RESYNC)
    for ddl in _TRIGGERS:
        op.execute(ddl)
    # The old index goes first: the backfill would otherwise write every document into it.
    op.drop_index("ix_search_documents_document", table_name="search_documents")
    op.execute(
        "update search_documents d set searchable = true from postings p "
        "join duplicate_clusters c on c.id = p.cluster_id and c.canonical_posting_id = p.id "
        "where p.id = d.posting_id and p.status = 'active'"
    )
    op.create_index("ix_search_documents_searchable", "search_documents", ["document"],
                    postgresql_using="gin", postgresql_where=sa.text("searchable"))


def downgrade() -> None:
    op.drop_index("ix_search_documents_searchable", table_name="search_documents")
    op.execute("drop trigger search_documents_canonical on duplicate_clusters")
    op.execute("drop trigger search_documents_posting on postings")
    op.execute("drop function search_documents_resync()")
    op.execute("drop function search_searchable(bigint)")
    op.drop_column("search_documents", "searchable")
    op.create_index("ix_search_documents_document", "search_documents", ["document"],
                    postgresql_using="gin")
