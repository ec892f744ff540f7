"""Enrichment sources behind one interface: each looks an organization up and returns fields.

Field vocabulary of `SourceResult.fields` (all optional): name, domain, website, description,
industry (already in the taxonomy), category (the source's own words, classified later),
employee_count, size_bucket, founded_year, hq_city, hq_region, hq_country, hq_address,
logo_url, icon_urls (candidates to verify), same_as, public (listed on an exchange), ticker.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from hirehound.enrichment._http import SafeClient
from hirehound.enrichment._registry import ApiCredentials, EnrichmentAdapter, register
from hirehound.errors import EnrichmentDataError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OrgQuery:
    """What a source may use to find an organization."""

    id: int
    name: str
    normalized_name: str
    domain: str | None = None
    website: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(slots=True)
class SourceResult:
    source: str
    fields: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "fields": self.fields}


class EnrichmentSource(Protocol):
    """One place facts about organizations come from."""

    name: str
    # Needs the network (rate limited, circuit-broken) or is local data.
    remote: bool

    def breaker_key(self, org: OrgQuery) -> str | None:
        """The service whose circuit guards this lookup (None: no breaker)."""
        ...

    def lookup(self, org: OrgQuery) -> SourceResult | None:
        """Fields for `org`, or None when the source knows nothing about it."""
        ...


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v not in (None, "", [], {})}


def _year(value: Any) -> int | None:
    m = re.search(r"\b(1[6-9]\d\d|20\d\d)\b", str(value or ""))
    return int(m.group(1)) if m else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    m = re.search(r"\d[\d,.]*", str(value or ""))
    if not m:
        return None
    try:
        return int(m.group(0).replace(",", "").split(".")[0])
    except ValueError:
        return None


# --- the organization's own website ------------------------------------------------------------

_ORG_TYPES = {
    "organization",
    "corporation",
    "localbusiness",
    "ngo",
    "educationalorganization",
    "governmentorganization",
    "onlinebusiness",
    "medicalorganization",
    "newsmediaorganization",
}


def _jsonld_objects(data: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            out.append(item)
            if "@graph" in item:
                stack.append(item["@graph"])
    return out


def _types(obj: dict[str, Any]) -> set[str]:
    t = obj.get("@type")
    items = t if isinstance(t, list) else [t]
    return {str(x).rsplit("/", 1)[-1].lower() for x in items if x}


def _url_of(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl") or value.get("@id")
    return str(value).strip() if isinstance(value, str) and value.strip() else None


def parse_homepage(html: str, base_url: str) -> dict[str, Any]:
    """Title, description, Open Graph and schema.org Organization facts of a homepage."""
    from urllib.parse import urljoin

    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    meta: dict[str, str] = {}
    for node in tree.css("meta"):
        key = (node.attributes.get("property") or node.attributes.get("name") or "").lower()
        content = node.attributes.get("content")
        if key and content and key not in meta:
            meta[key] = content.strip()
    title_node = tree.css_first("title")
    title = title_node.text(strip=True) if title_node else None
    icons: list[str] = []
    for node in tree.css("link[rel]"):
        rel = (node.attributes.get("rel") or "").lower()
        href = node.attributes.get("href")
        if href and ("icon" in rel.split() or "apple-touch-icon" in rel):
            icons.append(urljoin(base_url, href))
    # Larger icons first (apple-touch-icon is usually 180px), then the /favicon.ico convention.
    icons.sort(key=lambda u: 0 if "apple" in u else 1)
    icons.append(urljoin(base_url, "/favicon.ico"))

    org: dict[str, Any] = {}
    for script in tree.css('script[type="application/ld+json"]'):
        try:
            data = json.loads(script.text() or "null")
        except ValueError:
            continue  # broken JSON-LD is common; the meta tags still count
        for obj in _jsonld_objects(data):
            if _types(obj) & _ORG_TYPES and not org:
                org = obj

    fields: dict[str, Any] = {
        "name": (org.get("name") if isinstance(org.get("name"), str) else None)
        or meta.get("og:site_name"),
        "description": (org.get("description") if isinstance(org.get("description"), str) else None)
        or meta.get("og:description")
        or meta.get("description"),
        "title": title,
        "icon_urls": icons,
        "og_image": urljoin(base_url, meta["og:image"]) if meta.get("og:image") else None,
    }
    if org:
        logo = _url_of(org.get("logo")) or _url_of(org.get("image"))
        same_as = org.get("sameAs")
        address = org.get("address")
        if isinstance(address, list):
            address = address[0] if address else None
        if isinstance(address, dict):
            country = address.get("addressCountry")
            if isinstance(country, dict):
                country = country.get("name") or country.get("identifier")
            fields.update(
                hq_city=address.get("addressLocality"),
                hq_region=address.get("addressRegion"),
                hq_country=country,
                hq_address=address.get("streetAddress"),
            )
        elif isinstance(address, str):
            fields["hq_address"] = address
        employees = org.get("numberOfEmployees")
        if isinstance(employees, dict):
            employees = (
                employees.get("value") or employees.get("maxValue") or employees.get("minValue")
            )
        fields.update(
            logo_url=urljoin(base_url, logo) if logo else None,
            same_as=[
                s
                for s in (same_as if isinstance(same_as, list) else [same_as])
                if isinstance(s, str)
            ],
            founded_year=_year(org.get("foundingDate")),
            employee_count=_int(employees),
            website=_url_of(org.get("url")),
        )
    return _clean(fields)


class WebsiteSource:
    """The organization's homepage: the freshest self-description and logo."""

    name = "website"
    remote = True

    def __init__(self, client: SafeClient) -> None:
        self._client = client

    @staticmethod
    def _url(org: OrgQuery) -> str | None:
        if org.website:
            return org.website if "://" in org.website else f"https://{org.website}"
        return f"https://{org.domain}/" if org.domain else None

    def breaker_key(self, org: OrgQuery) -> str | None:
        from urllib.parse import urlsplit

        url = self._url(org)
        # One breaker per site: one dead website must not stop fetching all the others.
        return f"website:{urlsplit(url).hostname}" if url else None

    def lookup(self, org: OrgQuery) -> SourceResult | None:
        url = self._url(org)
        if not url:
            return None
        page = self._client.get(url, headers={"Accept": "text/html,application/xhtml+xml"})
        if "html" not in page.content_type and not page.content.lstrip()[:15].lower().startswith(
            (b"<!doctype", b"<html")
        ):
            raise EnrichmentDataError(f"{page.url}: not an HTML page ({page.content_type})")
        html = page.content.decode("utf-8", errors="replace")
        fields = parse_homepage(html, page.url)
        fields.setdefault("website", page.url)
        return SourceResult(self.name, fields)


# --- commercial APIs (configured with credentials from Secret blocks) ----------------------


class _KeyedApiSource:
    """A commercial API behind a key: one client, one base URL, one breaker for the service."""

    name = "api"
    remote = True
    default_base_url = ""

    def __init__(self, client: SafeClient, api_key: str, base_url: str | None = None) -> None:
        self._client = client
        self._key = api_key
        self._base = (base_url or self.default_base_url).rstrip("/")

    def breaker_key(self, org: OrgQuery) -> str | None:
        return self.name


class ClearbitSource(_KeyedApiSource):
    """A Clearbit-style company lookup by domain (`GET /v2/companies/find?domain=`)."""

    name = "clearbit"
    default_base_url = "https://company.clearbit.com"

    def lookup(self, org: OrgQuery) -> SourceResult | None:
        if not org.domain:
            return None
        resp = self._client.get(
            f"{self._base}/v2/companies/find",
            params={"domain": org.domain},
            headers={"Authorization": f"Bearer {self._key}", "Accept": "application/json"},
            truncate=False,
            ok_statuses=(404, 422),
        )
        if resp.status in (404, 422):
            return None
        data = resp.json()
        if not isinstance(data, dict):
            raise EnrichmentDataError(f"clearbit: expected an object, got {type(data).__name__}")
        category = data.get("category") or {}
        metrics = data.get("metrics") or {}
        geo = data.get("geo") or {}
        return SourceResult(
            self.name,
            _clean(
                {
                    "name": data.get("name"),
                    "domain": data.get("domain"),
                    "description": data.get("description"),
                    "category": " / ".join(
                        str(category.get(k))
                        for k in ("sector", "industryGroup", "industry")
                        if category.get(k)
                    ),
                    "employee_count": _int(metrics.get("employees")),
                    "employees_range": metrics.get("employeesRange"),
                    "founded_year": _year(data.get("foundedYear")),
                    "hq_city": geo.get("city"),
                    "hq_region": geo.get("state"),
                    "hq_country": geo.get("countryCode") or geo.get("country"),
                    "logo_url": data.get("logo"),
                    "public": bool((data.get("identifiers") or {}).get("ticker")) or None,
                }
            ),
        )


class CrunchbaseSource(_KeyedApiSource):
    """A Crunchbase-style lookup: autocomplete by name, then the organization entity."""

    name = "crunchbase"
    default_base_url = "https://api.crunchbase.com"
    _FIELDS = (
        "identifier,short_description,num_employees_enum,founded_on,location_identifiers,"
        "categories,website_url,image_url"
    )

    def _get(self, path: str, params: dict[str, str]) -> Any:
        resp = self._client.get(
            f"{self._base}{path}",
            params=params,
            headers={"X-cb-user-key": self._key, "Accept": "application/json"},
            truncate=False,
            ok_statuses=(404,),
        )
        return None if resp.status == 404 else resp.json()

    def lookup(self, org: OrgQuery) -> SourceResult | None:
        found = self._get(
            "/api/v4/autocompletes",
            {"query": org.name, "collection_ids": "organizations", "limit": "5"},
        )
        entities = (found or {}).get("entities") or []
        permalink = None
        from hirehound.orgs import normalize_name

        for entity in entities:
            ident = entity.get("identifier") or {}
            if normalize_name(str(ident.get("value") or "")) == org.normalized_name:
                permalink = ident.get("permalink")
                break
        if not permalink:
            return None
        data = self._get(f"/api/v4/entities/organizations/{permalink}", {"field_ids": self._FIELDS})
        props = (data or {}).get("properties") or {}
        if not props:
            return None
        locations = {
            loc.get("location_type"): loc.get("value")
            for loc in props.get("location_identifiers") or []
            if isinstance(loc, dict)
        }
        employees = str(props.get("num_employees_enum") or "")  # "c_00051_00100"
        bounds = [int(x) for x in re.findall(r"\d+", employees)]
        return SourceResult(
            self.name,
            _clean(
                {
                    "name": (props.get("identifier") or {}).get("value"),
                    "description": props.get("short_description"),
                    "category": ", ".join(
                        c.get("value", "")
                        for c in props.get("categories") or []
                        if isinstance(c, dict)
                    ),
                    "employee_count": bounds[-1] if bounds else None,
                    "founded_year": _year(
                        (props.get("founded_on") or {}).get("value")
                        if isinstance(props.get("founded_on"), dict)
                        else props.get("founded_on")
                    ),
                    "hq_city": locations.get("city"),
                    "hq_region": locations.get("region"),
                    "hq_country": locations.get("country"),
                    "website": _url_of(props.get("website_url")),
                    "logo_url": props.get("image_url"),
                }
            ),
        )


# --- the registry entries (precedence: lower rank wins; see hirehound/enrichment/_merge.py) --


def _keyed(cls: type[_KeyedApiSource]) -> Callable[[SafeClient, ApiCredentials | None],
                                                    EnrichmentSource | None]:
    def build(client: SafeClient, creds: ApiCredentials | None) -> EnrichmentSource | None:
        if creds is None or not creds.api_key:
            return None  # not configured: the source is simply left out
        return cls(client, creds.api_key, creds.base_url)  # type: ignore[return-value]

    return build


# The organization's own homepage is the freshest self-description and the logo it uses.
_OWN_WORDS = {"description": 1, "logo_url": 1}
register(EnrichmentAdapter(
    name=WebsiteSource.name,
    build=lambda client, _creds: WebsiteSource(client),
    fields=("name", "description", "title", "icon_urls", "og_image", "logo_url", "same_as",
            "founded_year", "employee_count", "website", "hq_city", "hq_region", "hq_country",
            "hq_address"),
    rank=3,
    field_ranks=_OWN_WORDS,
))
# Curated company databases beat page markup for everything else.
register(EnrichmentAdapter(
    name=ClearbitSource.name,
    build=_keyed(ClearbitSource),
    fields=("name", "domain", "description", "category", "employee_count", "employees_range",
            "founded_year", "hq_city", "hq_region", "hq_country", "logo_url", "public"),
    rank=1,
    field_ranks={"description": 2, "logo_url": 2},
    secret="clearbit-api-key",
    secret_env="HIREHOUND_CLEARBIT_API_KEY",
))
register(EnrichmentAdapter(
    name=CrunchbaseSource.name,
    build=_keyed(CrunchbaseSource),
    fields=("name", "description", "category", "employee_count", "founded_year", "hq_city",
            "hq_region", "hq_country", "website", "logo_url"),
    rank=2,
    field_ranks={"description": 3, "logo_url": 3},
    secret="crunchbase-api-key",
    secret_env="HIREHOUND_CRUNCHBASE_API_KEY",
))
