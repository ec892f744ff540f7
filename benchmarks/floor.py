"""The machine's own limit for ingestion: only the essential work over the same postings.

    .venv/bin/python benchmarks/floor.py TARGET [TARGET ...]    # files or folders
    (ingest_throughput.py runs it over its workload, in the same sitting)

Essential work, per posting, with the project's own functions and the same 2-process CPU pool
the pipeline uses: parse the files (`read_postings`), sanitize (`clean_part`: title and
description cleaning), embed title and description (`embed_part`, WordLlama), the dedup
fingerprint (MinHash signature, band keys, attribute keys); then write it all in bulk, in
chunks of 512 in one transaction each, into the project's tables with their indexes (a fresh
embedded database migrated to head): raw_postings and postings (executemany), posting
embeddings (executemany, binary vectors), search documents (one INSERT ... SELECT building
the weighted tsvector into its GIN index), fingerprints and band keys (the dedup store's own
bulk write: unnest and binary COPY).

Left out, as the features the floor does not have: organizations, locations, skills, quality,
spam, the dedup decisions and clusters, publishing, dead letters, retries, Prefect. The clock
starts once the database is up and the pool has embedded one text (the pipeline's runs pay
those inside their time, so the floor is, if anything, a little fast).
Last line: `floor_postings_per_s=<postings / seconds> postings=<n> seconds=<s>`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CHUNK = 512
TITLE_WEIGHT = 0.35  # as hirehound.ingest._steps


def _write_chunk(session: Any, start_id: int, posts: list[Any], cleaned: list[Any],
                 vectors: np.ndarray, config: Any) -> int:
    """One chunk's rows into every table; returns how many were written."""
    from sqlalchemy import text

    from hirehound.dedup._fingerprints import store_fingerprints
    from hirehound.dedup._judge import fingerprint
    from hirehound.dedup._text import text_prints
    from hirehound.ingest._raw import _record_dict, payload_hash

    keep = [i for i, c in enumerate(cleaned) if c[0] is not None]
    ids = [start_id + i for i in keep]
    if not ids:
        return 0
    raw_rows, rows = [], []
    for pid, i in zip(ids, keep, strict=True):
        p, (title, html, plain, truncated) = posts[i], cleaned[i]
        raw_rows.append({"id": pid, "source": p.source, "source_id": p.source_id, "url": p.url,
                         "payload": json.dumps(p.payload, default=str),
                         "record": json.dumps(_record_dict(p), default=str),
                         "hash": payload_hash(p.payload)})
        rows.append({"id": pid, "source": p.source, "source_id": p.source_id, "url": p.url,
                     "title": title, "company": p.company, "loc": p.location,
                     "html": html, "text": plain, "tr": truncated})
    session.execute(text(
        "insert into raw_postings (id, source, source_id, url, payload, record, content_hash) "
        "values (:id, :source, :source_id, :url, cast(:payload as jsonb), cast(:record as jsonb),"
        " :hash)"), raw_rows)
    session.execute(text(
        "insert into postings (id, source, source_id, url, title, company, location_raw, "
        "description_html, description_text, description_truncated, status, step) values "
        "(:id, :source, :source_id, :url, :title, :company, :loc, :html, :text, :tr, 'active',"
        " 'publish')"), rows)
    n = len(posts)
    titles, texts = vectors[:n][keep], vectors[n:][keep]
    combined = TITLE_WEIGHT * titles + (1 - TITLE_WEIGHT) * texts
    combined /= np.maximum(np.linalg.norm(combined, axis=1, keepdims=True), 1e-9)
    session.execute(text(
        "insert into posting_embeddings (posting_id, title, description, combined) "
        "values (:p, :t, :d, :c)"),
        [{"p": pid, "t": titles[k], "d": texts[k], "c": combined[k]}
         for k, pid in enumerate(ids)])
    from hirehound.search._index import MAX_INDEXED_CHARS, RANK_CHARS

    session.execute(text(
        "with w as (select p.id, "
        "search_tsvector(p.title, p.company, null, p.description_text, cast(:cap as int)) d, "
        "search_tsvector(p.title, p.company, null, p.description_text, cast(:rank as int)) r "
        "from postings p where p.id = any(:ids)), "
        "ranks as (insert into search_ranks (posting_id, rank_vector) select id, r from w) "
        "insert into search_documents (posting_id, document) select id, d from w"),
        {"ids": ids, "cap": MAX_INDEXED_CHARS, "rank": RANK_CHARS})
    prints = text_prints([r["text"] for r in rows], config)
    fps = [fingerprint(r["id"], organization_id=None, company=r["company"], title=r["title"],
                       location_raw=r["loc"], url=r["url"], text=r["text"], config=config,
                       printed=tp) for r, tp in zip(rows, prints, strict=True)]
    store_fingerprints(session, fps, config)
    return len(ids)


def run_floor(targets: list[str]) -> dict[str, Any]:
    """The floor over `targets` in this process (on the configured database)."""
    from flows._runtime import configure
    from hirehound.dedup import DEFAULT_CONFIG
    from hirehound.ingest import _cpu
    from hirehound.records import SourcePosting
    from hirehound.sources import read_postings
    from hirehound.storage import db

    settings = configure()
    _cpu.cpu_map_array(_cpu.embed_part, ["warm up"] * _cpu.MIN_POOLED_ITEMS, settings)
    t0 = time.perf_counter()
    written = read = 0
    next_id = 1

    def flush(batch: list[Any]) -> None:
        nonlocal written, next_id
        cleaned = _cpu.cpu_map(_cpu.clean_part, [(p.title, p.description_html, p.description)
                                                 for p in batch], settings.max_description_chars)
        vectors = _cpu.cpu_map_array(
            _cpu.embed_part,
            [c[0] or "" for c in cleaned] + [(c[2] if c[0] is not None else "") or ""
                                             for c in cleaned], settings)
        with db.transaction() as session:
            written += _write_chunk(session, next_id, batch, cleaned, vectors, DEFAULT_CONFIG)
        next_id += len(batch)

    seen: set[tuple[str, str]] = set()
    batch: list[Any] = []
    for target in targets:
        for item in read_postings(target, settings=settings):
            read += 1
            if not isinstance(item, SourcePosting) or (item.source, item.source_id) in seen:
                continue  # a bad record; or a key twice: the pipeline keeps the last one
            seen.add((item.source, item.source_id))
            batch.append(item)
            if len(batch) == CHUNK:
                flush(batch)
                batch = []
    if batch:
        flush(batch)
    seconds = time.perf_counter() - t0
    return {"postings": written, "read": read, "seconds": seconds,
            "postings_per_s": written / seconds if seconds else 0.0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("targets", nargs="+", help="files or folders, as `hirehound ingest` takes")
    args = ap.parse_args()
    from _common import fresh_home

    fresh_home("floor")
    r = run_floor(args.targets)
    print(f"read {r['read']} records, wrote {r['postings']} postings in {r['seconds']:.1f}s")
    print(f"floor_postings_per_s={r['postings_per_s']:.1f} postings={r['postings']} "
          f"seconds={r['seconds']:.1f}")


if __name__ == "__main__":
    main()
