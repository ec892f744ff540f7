"""Canonical URLs: the same page reached through a tracking link compares equal."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Parameters that say how a visitor arrived, never which page it is.
_TRACKING = re.compile(
    r"^(utm_\w+|gh_src|gh_jid_src|lever-(source|origin|via)|source|src|ref|referrer|refid|"
    r"trk|trkinfo|trackingid|tracking_id|gclid|gbraid|wbraid|fbclid|msclkid|mc_[ce]id|"
    r"_hs\w+|hsa_\w+|campaign|campaignid|medium|origin|from|via|share|shared|jobsource|"
    r"ashby_jid_src|icid|cid|s|sid|si|ocid|li_fat_id|igshid|yclid|_ga|_gl)$",
    re.IGNORECASE,
)


def canonical_url(url: str | None) -> str | None:
    """Scheme-less, lower-case host, no "www.", no fragment, tracking parameters dropped,
    remaining parameters sorted, no trailing slash."""
    if not url or not url.strip():
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if not host:
        return None
    if host.startswith("www."):
        host = host[4:]
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=False) if not _TRACKING.match(k)
    )
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/")
    return urlunsplit(("", host, path, urlencode(query), "")).lstrip("/")


__all__ = ["canonical_url"]
