"""Search ranks on compact vectors of their own: `search_ranks`, and one definition of both vectors

A broad query ("business manager", 52k matches at 100k postings) spent nearly all its time in
`ts_rank_cd` over the full documents: 4.6 kB each on average, stored out of line (TOAST), read
and decompressed for every match (~8-10 us a match). Search now ranks on a rank vector: the same
words cut to what says what the job is, the title (A), company and skills (B) and the
description's first RANK_CHARS characters (C), ~0.9 kB, kept in the row. The full document's GIN
index still decides what matches (a word deep in a description still finds the posting; it just
does not lift its rank), and a query ranks at most a bounded number of its newest matches
(hirehound.search._query).

The rank vectors are a table of their own, not a column of `search_documents`: in the row they
made that table's heap 11x larger (12.5k pages at 100k postings instead of 1.2k), and finding a
broad query's matches reads the heap page of each.

Both vectors come from `search_tsvector(title, company, skills, text, chars)`: the pieces are
concatenated in the same order, so a rank vector's positions are its document's own (it is the
document's beginning, not another text). `index_postings` writes both; the triggers of 0011
(which move `searchable`) need no change: `search_ranks` is only read for searchable matches.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# A posting's words as search weighs them, its description text cut to `chars` characters and
# back to the last whole word: the document with the index's cap, the rank vector with
# RANK_CHARS.
_DEFINITION = r"""
create function search_tsvector(title text, company text, skills text, body text, chars int)
returns tsvector language sql immutable parallel safe as $$
    select setweight(to_tsvector('english', coalesce(title, '')), 'A')
        || setweight(to_tsvector('simple', coalesce(company, '')), 'B')
        || setweight(to_tsvector('english', coalesce(skills, '')), 'B')
        || setweight(to_tsvector('english', case when length(body) > chars
            then regexp_replace(left(body, chars + 1), '\S*$', '') else coalesce(body, '') end),
            'C')
$$
"""
# Description characters in a rank vector (hirehound.search._index.RANK_CHARS when written).
RANK_CHARS = 600


def upgrade() -> None:
    op.execute(_DEFINITION)
    op.create_table(
        "search_ranks",
        sa.Column("posting_id", sa.BigInteger(),
                  sa.ForeignKey("postings.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("rank_vector", TSVECTOR(), nullable=False),
    )
    # Compressed in the row if it must be, never moved out of it (ranking reads no TOAST).
    op.execute("alter table search_ranks alter column rank_vector set storage main")
    op.execute(
        sa.text(
            """
            insert into search_ranks (posting_id, rank_vector)
            select d.posting_id,
                   search_tsvector(p.title, p.company, s.names, p.description_text, :chars)
            from search_documents d
            join postings p on p.id = d.posting_id
            left join (select ps.posting_id, string_agg(k.name, ' ') as names
                       from posting_skills ps join skills k on k.id = ps.skill_id
                       group by ps.posting_id) s on s.posting_id = p.id
            """
        ).bindparams(chars=RANK_CHARS)
    )


def downgrade() -> None:
    op.drop_table("search_ranks")
    op.execute("drop function search_tsvector(text, text, text, text, int)")
