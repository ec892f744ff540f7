"""SmartRecruiters Posting API: `/v1/companies/<company>/postings` pages, one detail per posting.

The list answers `{"offset", "limit", "totalFound", "content": [...]}` without descriptions;
each posting's `jobAd.sections` (company, job description, qualifications, additional
information) comes from `/v1/companies/<company>/postings/<id>`. Costs: an unchanged first
page (304) is one request, like the other boards; a changed board is one request per page of
100, one per new or changed posting, and one for each posting whose refresh slot this hour
is (1/24 of the unchanged ones: a description edited without any list field changing shows
within a day). Unchanged postings otherwise keep the detail stored at the last crawl.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from hirehound.errors import SourceFormatError
from hirehound.records import BadRecord, SourcePosting
from hirehound.sources._adapter import Getter, SourceAdapter, register
from hirehound.sources._common import (
    as_dict,
    has_key,
    identify,
    looks_json,
    slug_to_name,
    text,
)

SOURCE = "smartrecruiters"
PAGE_SIZE = 100  # the API's maximum `limit`
# A board of more postings than this is cut (and said so): 100 pages of details.
MAX_POSTINGS = 10_000
_SECTIONS = ("companyDescription", "jobDescription", "qualifications", "additionalInformation")
# Unchanged postings have their detail fetched again once in this many hours.
REFRESH_SLOTS = 24


def company_from_origin(origin: str) -> str | None:
    """The company identifier from an API URL (/v1/companies/<company>/postings)."""
    parts = [p for p in urlsplit(origin).path.split("/") if p] if "://" in origin else []
    if "companies" in parts and parts.index("companies") + 1 < len(parts):
        return unquote(parts[parts.index("companies") + 1])
    return None


def _page_url(url: str, offset: int) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(limit=str(PAGE_SIZE), offset=str(offset))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _detail_url(url: str, posting_id: str) -> str:
    parts = urlsplit(url)
    path = parts.path.rstrip("/") + "/" + re.sub(r"[^\w.-]", "", posting_id)
    return urlunsplit(parts._replace(path=path, query=""))


def _json(body: bytes, url: str) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise SourceFormatError(f"{url}: not valid JSON ({exc})") from exc


def refresh_due(posting_id: str, now: datetime | None = None) -> bool:
    """Whether an unchanged posting's detail is fetched again now (its hour of the day)."""
    hour = (now or datetime.now(UTC)).hour
    return zlib.crc32(posting_id.encode()) % REFRESH_SLOTS == hour % REFRESH_SLOTS


def _reusable(item: dict[str, Any], stored: Any) -> bool:
    # The stored payload is list entry + detail; every list field the same: same posting.
    return (isinstance(stored, dict) and "jobAd" in stored
            and all(stored.get(k) == v for k, v in item.items()))


def complete(body: bytes, url: str, getter: Getter) -> bytes:
    """The whole board: every page of the list, each posting with its detail merged in.

    A posting whose detail is gone (4xx: closed between the list and the detail) keeps its
    list entry, description-less; a detail that cannot be fetched for now (5xx, network)
    fails the board, so nothing closes on a partial read. Postings listed unchanged since
    the last crawl (`getter.previous`) keep their stored detail unless `refresh_due`.
    """
    first = _json(body, url)
    if not isinstance(first, dict) or not isinstance(first.get("content"), list):
        raise SourceFormatError(f"{url}: not a SmartRecruiters postings list (no 'content')")
    content: list[Any] = list(first["content"])
    total = first.get("totalFound")
    total = min(total, MAX_POSTINGS) if isinstance(total, int) else len(content)
    while len(content) < total:
        page = _json(getter.get(_page_url(url, len(content))), url)
        more = page.get("content") if isinstance(page, dict) else None
        if not isinstance(more, list) or not more:
            break  # the board shrank while we paged; what we have is the board
        content.extend(more)
    previous: Mapping[str, Any] = getter.previous() if getter.previous else {}
    postings = []
    for item in content:
        ident = text(item.get("id")) if isinstance(item, dict) else None
        if ident is None:
            postings.append(item)  # parse() turns it into a bad record
            continue
        stored = previous.get(ident)
        if _reusable(item, stored) and not refresh_due(ident):
            postings.append(stored)
            continue
        try:
            detail = _json(getter.get(_detail_url(url, ident)), url)
        except SourceFormatError:  # 4xx: no longer there; keep what the list says
            detail = None
        # The list's values win: an unchanged list entry then finds itself in what is stored.
        postings.append({**detail, **item} if isinstance(detail, dict) else item)
    doc = {**first, "offset": 0, "limit": len(postings), "content": postings}
    return json.dumps(doc, ensure_ascii=False).encode()


def parse(data: Any, *, origin: str = "") -> Iterator[SourcePosting | BadRecord]:
    """Map a postings list (details merged in, or not) or one posting onto postings."""
    if isinstance(data, dict) and isinstance(data.get("content"), list):
        postings = data["content"]
    elif isinstance(data, dict) and ("jobAd" in data or "releasedDate" in data):
        postings = [data]
    else:
        raise SourceFormatError(
            f"{origin or 'payload'}: not a SmartRecruiters postings response (no 'content' list)"
        )
    company = company_from_origin(origin)
    for posting in postings:
        yield _posting(posting, company)


def _label(value: Any) -> str | None:
    return text(as_dict(value).get("label")) or text(as_dict(value).get("id"))


def _location(loc: dict[str, Any]) -> str | None:
    if text(loc.get("fullLocation")):
        return re.sub(r"(,\s*)+", ", ", str(loc["fullLocation"])).strip(", ")
    parts = [text(loc.get(k)) for k in ("city", "region")]
    country = text(loc.get("country"))
    parts.append(country.upper() if country and len(country) == 2 else country)
    return ", ".join(p for p in parts if p) or None


def _description(job: dict[str, Any]) -> str | None:
    sections = as_dict(as_dict(job.get("jobAd")).get("sections"))
    out = []
    for key in _SECTIONS:
        section = as_dict(sections.get(key))
        body = text(section.get("text"))
        if body:
            title = text(section.get("title"))
            out.append(f"<h3>{title}</h3>{body}" if title else body)
    return "".join(out) or None


def _posting(job: Any, company_slug: str | None) -> SourcePosting | BadRecord:
    ident = identify(SOURCE, job, what="posting", title_key="name")
    if isinstance(ident, BadRecord):
        return ident
    job, job_id, title = ident
    company = as_dict(job.get("company"))
    slug = text(company.get("identifier")) or company_slug
    loc = as_dict(job.get("location"))
    remote = loc.get("remote") if isinstance(loc.get("remote"), bool) else None
    url = text(job.get("postingUrl")) or (
        f"https://jobs.smartrecruiters.com/{slug}/{job_id}" if slug else None
    )
    return SourcePosting(
        source=SOURCE,
        source_id=job_id,
        url=url,
        title=title,
        company=text(company.get("name")) or (slug_to_name(slug) if slug else None),
        location=_location(loc),
        remote=True if remote else None,
        employment_type=_label(job.get("typeOfEmployment")),
        date_posted=text(job.get("releasedDate")),
        description_html=_description(job),
        payload=job,
    )


def _sniff(head: str) -> bool:
    return looks_json(head) and (
        (has_key(head, "totalFound") and has_key(head, "content"))
        or (has_key(head, "jobAd") and has_key(head, "releasedDate"))
    )


ADAPTER = register(SourceAdapter(
    kind=SOURCE,
    parse=parse,
    board_api="https://api.smartrecruiters.com/v1/companies/{board}/postings?limit=100",
    page_hosts=frozenset({"jobs.smartrecruiters.com", "careers.smartrecruiters.com"}),
    api_hosts=("api.smartrecruiters.com",),
    api_path=re.compile(r"/v1/companies/[^/]+/postings/?$"),
    sniff=_sniff,
    order=35,
    complete=complete,
))
