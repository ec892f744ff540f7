"""Pick a logo that really is an image: checked by content type, else by magic bytes."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from hirehound.enrichment._http import SafeClient
from hirehound.errors import EnrichmentError

log = logging.getLogger(__name__)

_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"\x00\x00\x01\x00",  # ICO
    b"RIFF",  # WEBP (RIFF....WEBP)
    b"BM",
)


def looks_like_image(content_type: str, body: bytes) -> bool:
    """True for image bytes: a known magic number, or SVG markup."""
    if not body:
        return False
    if any(body.startswith(m) for m in _MAGIC):
        return not body.startswith(b"RIFF") or body[8:12] == b"WEBP"
    head = body[:512].lstrip().lower()
    # A server labelling HTML "image/png" is lying; trust the bytes, never the header alone.
    return b"<svg" in head or (head.startswith(b"<?xml") and b"<svg" in body[:2048].lower())


def pick_logo(
    client: SafeClient, candidates: Iterable[str | None], *, limit: int = 4
) -> str | None:
    """The first candidate URL that downloads as an image (at most `limit` tried)."""
    tried = 0
    seen: set[str] = set()
    for url in candidates:
        if not url or url in seen or url.startswith("data:"):
            continue
        seen.add(url)
        tried += 1
        if tried > limit:
            break
        try:
            fetched = client.get(url, headers={"Accept": "image/*"})
        except EnrichmentError as exc:
            log.debug("logo candidate %s failed: %s", url, exc)
            continue
        if looks_like_image(fetched.content_type, fetched.content):
            return fetched.url
    return None
