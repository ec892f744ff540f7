"""The one test for a URL we store, export or follow: http(s) with a host, nothing else."""

from __future__ import annotations

from urllib.parse import urlsplit

# Longer URLs are junk or an attack on an index (btree rows are capped near 2.7 kB).
MAX_URL_CHARS = 2048


def url_problem(value: object) -> str | None:
    """Why `value` is not a usable http(s) URL, or None when it is."""
    if not isinstance(value, str):
        return f"not a string ({type(value).__name__})"
    url = value.strip()
    if not url:
        return "empty"
    if len(url) > MAX_URL_CHARS:
        return f"longer than {MAX_URL_CHARS} characters"
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        return "control character or space in URL"
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"unparseable ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return f"scheme {parts.scheme or 'missing'!r} is not http(s)"
    if not host:
        return "no host"
    return None


def safe_http_url(value: object) -> str | None:
    """`value` stripped when it is an http(s) URL with a host, else None.

    `javascript:`, `data:`, `file:`, scheme-relative and other URLs never reach a stored or
    exported field; callers that must say why use `url_problem`.
    """
    if url_problem(value) is not None:
        return None
    assert isinstance(value, str)
    return value.strip()
