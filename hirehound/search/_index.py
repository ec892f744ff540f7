from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.orm import Session

# Past this, extra description text adds little to ranking but costs tsvector time.
MAX_INDEXED_CHARS = 20_000


def index_postings(session: Session, posting_ids: Sequence[int]) -> None:
    """Rebuild the search documents of these postings and their clusters' search vectors.

    A document's `searchable` flag is set here from the posting's current state and kept by
    the database's triggers afterwards (migration 0011)."""
    ids = list(posting_ids)
    if not ids:
        return
    session.execute(
        text(
            """
            insert into search_documents (posting_id, document, searchable)
            select p.id,
                setweight(to_tsvector('english', coalesce(p.title, '')), 'A')
             || setweight(to_tsvector('simple', coalesce(p.company, '')), 'B')
             || setweight(to_tsvector('english', coalesce(s.names, '')), 'B')
             || setweight(to_tsvector('english', left(coalesce(p.description_text, ''), :cap)),
                          'C'),
                search_searchable(p.id)
            from postings p
            join (select i.id, string_agg(k.name, ' ') as names
                  from unnest(cast(:ids as bigint[])) as i(id)
                  left join posting_skills ps on ps.posting_id = i.id
                  left join skills k on k.id = ps.skill_id
                  group by i.id) s on s.id = p.id
            on conflict (posting_id) do update
              set document = excluded.document, searchable = excluded.searchable
            """
        ),
        {"ids": ids, "cap": MAX_INDEXED_CHARS},
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
