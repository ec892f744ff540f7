from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.orm import Session

# Past this, extra description text adds little to matching but costs tsvector time.
MAX_INDEXED_CHARS = 20_000
# Description text in the rank vector: ranking reads it for every match, so it must stay small
# enough to stay in the row (migration 0012; ~100 words, the part that says what the job is).
RANK_CHARS = 600


def index_postings(session: Session, posting_ids: Sequence[int]) -> None:
    """Rebuild the search documents of these postings and their clusters' search vectors.

    A document (what matches, `search_documents`) and its rank vector (what ranks,
    `search_ranks`: the same words cut to the description's first RANK_CHARS characters) come
    from one definition, `search_tsvector` (migration 0012). The `searchable` flag is set here
    from the posting's current state and kept by the database's triggers afterwards (0011)."""
    ids = list(posting_ids)
    if not ids:
        return
    # One statement writes both tables (a data-modifying CTE): the words are gathered once.
    session.execute(
        text(
            """
            with w as (
                select p.id,
                    search_tsvector(p.title, p.company, s.names, p.description_text,
                                    cast(:cap as int)) as document,
                    search_tsvector(p.title, p.company, s.names, p.description_text,
                                    cast(:rank as int)) as rank_vector,
                    search_searchable(p.id) as searchable
                from postings p
                join (select i.id, string_agg(k.name, ' ') as names
                      from unnest(cast(:ids as bigint[])) as i(id)
                      left join posting_skills ps on ps.posting_id = i.id
                      left join skills k on k.id = ps.skill_id
                      group by i.id) s on s.id = p.id),
            ranks as (
                insert into search_ranks (posting_id, rank_vector)
                select id, rank_vector from w
                on conflict (posting_id) do update set rank_vector = excluded.rank_vector)
            insert into search_documents (posting_id, document, searchable)
            select id, document, searchable from w
            on conflict (posting_id) do update
              set document = excluded.document, searchable = excluded.searchable
            """
        ),
        {"ids": ids, "cap": MAX_INDEXED_CHARS, "rank": RANK_CHARS},
    )
    # One vector per cluster, from its canonical posting (search shows each job once).
    session.execute(
        text(
            """
            insert into search_vectors (cluster_id, posting_id, embedding)
            select c.id, c.canonical_posting_id, e.combined
            from duplicate_clusters c
            join posting_embeddings e on e.posting_id = c.canonical_posting_id
            where c.id in (select cluster_id from postings
                           where id = any(:ids) and cluster_id is not null)
            on conflict (cluster_id) do update
              set posting_id = excluded.posting_id, embedding = excluded.embedding
              where search_vectors.posting_id is distinct from excluded.posting_id
            """
        ),
        {"ids": ids},
    )
