"""schema.org JobPosting JSON-LD in HTML pages (what Google for Jobs reads)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

from hirehound.errors import SourceFormatError
from hirehound.records import BadRecord, SourcePosting
from hirehound.sources._adapter import SourceAdapter, register
from hirehound.sources._common import (
    bad,
    host_of,
    looks_json,
    looks_markup,
    salary_text,
    stable_id,
    text,
    unescape_html,
)

SOURCE = "jsonld"
_TAG = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9]*|/[a-zA-Z])[^>]*>")
_CDATA = re.compile(r"^\s*(?:<!--|<!\[CDATA\[)|(?:-->|\]\]>)\s*$")


def _is_type(node: dict[str, Any], name: str) -> bool:
    kinds = node.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    # "JobPosting", "schema:JobPosting" and "https://schema.org/JobPosting" all occur.
    return any(isinstance(k, str) and re.split(r"[:/]", k)[-1] == name for k in kinds)


def find_job_postings(node: Any) -> Iterator[dict[str, Any]]:
    """Every JobPosting object in a JSON-LD document (top level, lists, `@graph`)."""
    if isinstance(node, list):
        for item in node:
            yield from find_job_postings(item)
    elif isinstance(node, dict):
        if _is_type(node, "JobPosting"):
            yield node
        elif "@graph" in node:
            yield from find_job_postings(node["@graph"])


def script_blocks(page: str) -> list[str]:
    """The text of every `<script type="application/ld+json">` in a page."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(page)
    out = []
    for node in tree.css("script"):
        kind = (node.attributes.get("type") or "").strip().lower()
        if kind.startswith("application/ld+json"):
            out.append(node.text(deep=True) or "")
    return out


def _load_block(raw: str) -> Any:
    raw = _CDATA.sub("", raw).strip().rstrip(";")
    # strict=False lets raw newlines and tabs inside strings through (common in hand-made pages).
    return json.loads(raw, strict=False)


def parse(data: Any, *, origin: str = "") -> Iterator[SourcePosting | BadRecord]:
    """Map the JobPosting objects of an HTML page (or of a JSON-LD document) onto postings."""
    page_url = origin if origin.startswith(("http://", "https://")) else None
    found = 0
    if isinstance(data, (dict, list)):
        docs: list[Any] = [data]
    else:
        docs = []
        blocks = script_blocks(data)
        for i, raw in enumerate(blocks):
            try:
                docs.append(_load_block(raw))
            except ValueError as exc:
                found += 1  # a broken block counts: the page did try to describe a job
                yield bad(SOURCE, raw[:10_000], "bad_jsonld", f"JSON-LD block {i + 1}: {exc}")
    for doc in docs:
        for item in find_job_postings(doc):
            found += 1
            yield _posting(item, page_url)
    if not found:
        raise SourceFormatError(f"{origin or 'payload'}: no schema.org JobPosting JSON-LD found")


def _identifier(item: dict[str, Any]) -> str | None:
    ident = item.get("identifier")
    if isinstance(ident, list):
        ident = ident[0] if ident else None
    if isinstance(ident, dict):
        return text(ident.get("value")) or text(ident.get("@id")) or text(ident.get("name"))
    return text(ident)


def _name(value: Any) -> str | None:
    if isinstance(value, dict):
        return text(value.get("name")) or text(value.get("@id"))
    if isinstance(value, list):
        return _name(value[0]) if value else None
    return text(value)


def _place(value: Any) -> str | None:
    if isinstance(value, list):
        places = [p for p in (_place(v) for v in value) if p]
        return "; ".join(dict.fromkeys(places)) or None
    if not isinstance(value, dict):
        return text(value)
    address = value.get("address", value)
    if not isinstance(address, dict):
        return text(address) or text(value.get("name"))
    parts: list[str | None] = [
        text(address.get("addressLocality")),
        text(address.get("addressRegion")),
        _name(address.get("addressCountry")),
    ]
    return ", ".join(p for p in parts if p) or text(value.get("name"))


def _salary(value: Any) -> str | None:
    if isinstance(value, list):
        return _salary(value[0]) if value else None
    if not isinstance(value, dict):
        return text(value)
    amount = value.get("value")
    currency = value.get("currency")
    if isinstance(amount, dict):
        return salary_text(
            currency,
            amount.get("minValue"),
            amount.get("maxValue"),
            amount.get("unitText"),
            exact=amount.get("value"),
        )
    return salary_text(currency, None, None, value.get("unitText"), exact=amount)


def _posting(item: dict[str, Any], page_url: str | None) -> SourcePosting | BadRecord:
    title = text(item.get("title")) or text(item.get("name"))
    if title and "&" in title:  # entity-encoded titles are common in hand-made pages
        title = html.unescape(title)
    url = text(item.get("url")) or page_url
    source_id = _identifier(item) or stable_id(url, title)
    if not title:
        return bad(SOURCE, item, "missing_title", "JobPosting has no title", source_id=source_id)
    org = item.get("hiringOrganization")
    org = org[0] if isinstance(org, list) and org else org
    company = _name(org)
    domain = None
    if isinstance(org, dict):
        same = org.get("sameAs")
        same = same[0] if isinstance(same, list) and same else same
        domain = host_of(text(org.get("url")) or text(same))
    kinds = item.get("employmentType")
    employment = ", ".join(str(k) for k in kinds if k) if isinstance(kinds, list) else text(kinds)
    loc_type = item.get("jobLocationType")
    loc_types = loc_type if isinstance(loc_type, list) else [loc_type]
    remote = True if any(str(t).upper() == "TELECOMMUTE" for t in loc_types if t) else None
    location = _place(item.get("jobLocation"))
    if not location and remote:
        location = "Remote" + (
            f" ({r})" if (r := _place(item.get("applicantLocationRequirements"))) else ""
        )
    description = unescape_html(text(item.get("description")))
    # Google asks for HTML here, but plain text occurs; keep it plain so line breaks survive.
    is_html = bool(description and _TAG.search(description))
    return SourcePosting(
        source=SOURCE,
        source_id=source_id,
        url=url,
        title=title,
        company=company,
        company_domain=domain,
        location=location,
        remote=remote,
        employment_type=employment,
        date_posted=text(item.get("datePosted")),
        valid_through=text(item.get("validThrough")),
        description_html=description if is_html else None,
        description=None if is_html else description,
        salary=_salary(item.get("baseSalary")) or _salary(item.get("estimatedSalary")),
        payload=item,
    )


_JSONLD_TYPE = re.compile(r'(?<!\\)"@type"\s*:\s*(?:\[[^\]]*)?"[^"]*JobPosting"')


def _sniff(head: str) -> bool:
    return bool(_JSONLD_TYPE.search(head)) if looks_json(head) else looks_markup(head)


ADAPTER = register(SourceAdapter(
    kind=SOURCE,
    parse=parse,
    sniff=_sniff,
    order=60,
    suffixes=(".html", ".htm", ".html.gz", ".htm.gz"),
    takes_text=True,
))
