"""Pairwise verdict: do two postings advertise the same job?

A pair is a duplicate only when the attributes agree (same employer, equivalent title, same
place) AND the text agrees (hash, MinHash Jaccard or containment, or, in the deep check, the
embedding). Text alone never decides: one requisition in two cities has identical text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hirehound.dedup._attributes import REMOTE_ANYWHERE, company_key, location_keys, title_key
from hirehound.dedup._config import DedupConfig
from hirehound.dedup._text import TextPrint, band_keys, hash64, similarity, text_print
from hirehound.dedup._url import canonical_url

# Band numbers >= 1000 hold attribute keys (organization + title + place); 0..bands-1 hold
# MinHash bands. Both live in dedup_band_keys and are looked up the same way.
ATTR_BAND_ORG = 1000
ATTR_BAND_COMPANY = 1001


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """Everything the pairwise verdict reads of one posting (stored in dedup_fingerprints)."""

    posting_id: int
    organization_id: int | None
    company_key: str
    title_key: str
    location_keys: frozenset[str]
    canonical_url: str | None
    text: TextPrint

    def band_rows(self, config: DedupConfig) -> list[tuple[int, int]]:
        """(band, key) rows to index: MinHash bands plus attribute keys."""
        rows = list(enumerate(band_keys(self.text.signature, config)))
        return sorted(set(rows) | set(self.attribute_rows()))

    def attribute_rows(self) -> set[tuple[int, int]]:
        """(band, key) rows of the attribute keys: organization + title + place."""
        rows: set[tuple[int, int]] = set()
        if self.title_key:
            for loc in self.location_keys or {"none:"}:
                if self.organization_id is not None:
                    rows.add(
                        (ATTR_BAND_ORG, hash64("o", str(self.organization_id), self.title_key, loc))
                    )
                if self.company_key:
                    rows.add(
                        (ATTR_BAND_COMPANY, hash64("c", self.company_key, self.title_key, loc))
                    )
        return rows


def fingerprint(
    posting_id: int,
    *,
    organization_id: int | None,
    company: str | None,
    title: str | None,
    location_raw: str | None,
    city: str | None = None,
    region: str | None = None,
    country: str | None = None,
    remote: bool | None = None,
    url: str | None = None,
    text: str | None,
    config: DedupConfig,
    printed: TextPrint | None = None,
) -> Fingerprint:
    """Fingerprint of one posting from its stored fields (clean text, not HTML); `printed` is
    `text_print(text)` when the caller computed it already (in a batch)."""
    return Fingerprint(
        posting_id=posting_id,
        organization_id=organization_id,
        company_key=company_key(company),
        title_key=title_key(title, location_raw),
        location_keys=location_keys(location_raw, city, region, country, remote),
        canonical_url=canonical_url(url),
        text=printed if printed is not None else text_print(text, config),
    )


Kind = Literal["exact", "near", "semantic", "possible", "no"]
# Verdict kinds that make a pair duplicates, best evidence first.
DUPLICATE_RANK = {"exact": 0, "near": 1, "semantic": 2}


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: Kind
    reason: str  # "content_hash", "canonical_url", "lsh:0.83", "containment:0.97", "semantic:0.95"
    score: float  # text evidence (1.0 for hash / URL), the cosine for "semantic"


NO = Verdict("no", "", 0.0)


def same_organization(a: Fingerprint, b: Fingerprint) -> Literal["yes", "maybe", "no"]:
    """Same employer: same organization id, or same legal-form-free name (the organization
    matcher can miss a spelling); "maybe" when one name contains the other."""
    if a.organization_id is not None and a.organization_id == b.organization_id:
        return "yes"
    if a.company_key and a.company_key == b.company_key:
        return "yes"
    # "Commure-Athelas" vs "Athelas": one name inside the other (long enough to mean something).
    ka, kb = sorted((a.company_key, b.company_key), key=len)
    if len(ka) >= 5 and ka in kb:
        return "maybe"
    return "no"


def same_place(a: Fingerprint, b: Fingerprint) -> Literal["yes", "maybe", "no"]:
    """Same place when the two share a location key; "maybe" when one gives no place."""
    if not a.location_keys and not b.location_keys:
        return "yes"
    if a.location_keys & b.location_keys:
        return "yes"
    # Containment: "Remote" (anywhere) includes "Remote - US"; a copy may drop the country.
    for x, y in ((a, b), (b, a)):
        if REMOTE_ANYWHERE in x.location_keys and any(
            k.startswith("remote:") for k in y.location_keys
        ):
            return "yes"
    return "no" if a.location_keys and b.location_keys else "maybe"


def judge(
    a: Fingerprint, b: Fingerprint, config: DedupConfig, *, cosine: float | None = None
) -> Verdict:
    """Verdict for one pair: stages 1, 2 and 4 from fingerprints; stage 3 when `cosine` (of the
    combined embeddings) is given."""
    if not a.title_key or a.title_key != b.title_key:
        return NO
    org = same_organization(a, b)
    if org == "no":
        return NO
    place = same_place(a, b)
    if place == "no":
        return NO
    sure = org == "yes" and place == "yes"
    score, how = similarity(a.text, b.text, config)
    # Exact needs the same normalized text: a URL alone is not enough (another text at a
    # legitimate URL, "?utm_source=x" added, is not the posting it imitates).
    if sure and how == "hash":
        same_url = a.canonical_url is not None and a.canonical_url == b.canonical_url
        return Verdict("exact", "canonical_url" if same_url else "content_hash", 1.0)
    too_short = min(a.text.n_shingles, b.text.n_shingles) < config.min_shingles
    text_ok = not too_short and (
        (how == "jaccard" and score >= config.near_jaccard)
        or (how != "jaccard" and score >= config.near_containment)
    )
    tag = "lsh" if how == "jaccard" else how
    if sure and text_ok:
        return Verdict("near", f"{tag}:{score:.2f}", score)
    # Stage 3: the embeddings may confirm what attributes already say (a rewritten repost), or
    # what the text says when only the employer's name was uncertain. A missing place is never
    # confirmed: a copy without location would join every city of a multi-city requisition.
    semantic = cosine is not None and cosine >= config.semantic_cosine
    if semantic and cosine is not None and place == "yes" and (sure or text_ok):
        return Verdict("semantic", f"semantic:{cosine:.2f}", cosine)
    if text_ok or too_short or score >= config.possible_similarity:
        return Verdict("possible", f"{tag}:{score:.2f}", score)
    return NO


__all__ = [
    "ATTR_BAND_COMPANY",
    "ATTR_BAND_ORG",
    "DUPLICATE_RANK",
    "Fingerprint",
    "Verdict",
    "fingerprint",
    "judge",
    "same_organization",
    "same_place",
]
