"""Source adapters over real HTTP: recorded payloads served on 127.0.0.1, and the failures
a job board really produces (429 with Retry-After, 5xx, 404, dropped connections)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hirehound.errors import SourceError, SourceFormatError, SourceUnavailable
from hirehound.records import SourcePosting
from hirehound.settings import Settings
from hirehound.sources import _http, board_url, read_postings
from tests.support.httpserver import Request, Response, serve

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sources"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, allow_private_addresses=True, http_timeout_s=2.0)


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_http, "RETRY_INITIAL_S", 0.01)
    monkeypatch.setattr(_http, "RETRY_MAX_S", 0.05)


def _fixture(path: str) -> bytes:
    return (FIXTURES / path).read_bytes()


ROUTES = {
    "/posting-api/job-board/finni-health": ("ashby/finni-health.json", "application/json"),
    "/v1/boards/vaulttec/jobs": ("greenhouse/vaulttec.json", "application/json"),
    "/v0/postings/leverdemo": ("lever/leverdemo.json", "application/json"),
    "/careers/data-analyst": ("jsonld/example-careers.html", "text/html; charset=utf-8"),
    "/exports/jobspy": ("jobspy/jobspy_sample.json", "application/json"),
    "/exports/feed": ("generic/generic_sample.jsonl", "application/x-ndjson"),
}


def _recorded(req: Request) -> Response:
    if req.path not in ROUTES:
        return Response(404, b'{"error": "not found"}')
    path, ctype = ROUTES[req.path]
    return Response(200, _fixture(path), {"Content-Type": ctype})


@pytest.mark.parametrize(
    ("route", "fixture", "kind"),
    [
        ("/posting-api/job-board/finni-health", "ashby/finni-health.json", "ashby"),
        ("/v1/boards/vaulttec/jobs", "greenhouse/vaulttec.json", "greenhouse"),
        ("/v0/postings/leverdemo", "lever/leverdemo.json", "lever"),
        ("/careers/data-analyst", "jsonld/example-careers.html", "jsonld"),  # content sniffed
        ("/exports/jobspy", "jobspy/jobspy_sample.json", "jobspy"),
        ("/exports/feed", "generic/generic_sample.jsonl", "generic"),
    ],
)
def test_recorded_payloads_over_http_match_files(
    settings: Settings, route: str, fixture: str, kind: str
) -> None:
    with serve(_recorded) as base:
        over_http = list(read_postings(base + route, settings=settings))
    from_file = list(read_postings(str(FIXTURES / fixture), settings=settings))
    assert over_http and len(over_http) == len(from_file)
    for a, b in zip(over_http, from_file, strict=True):
        assert type(a) is type(b)
        if isinstance(a, SourcePosting) and isinstance(b, SourcePosting):
            assert (a.source, a.title, a.company) == (b.source, b.title, b.company)
            # A JobPosting without identifier is keyed by a hash of its page URL, which
            # only the HTTP read knows.
            if a.payload.get("identifier") or kind != "jsonld":
                assert a.source_id == b.source_id
            assert a.source == (kind if kind != "generic" else a.payload["source"])


def test_board_url_and_shorthand_shapes_and_user_agent(settings: Settings) -> None:
    seen: list[Request] = []

    def handler(req: Request) -> Response:
        seen.append(req)
        return _recorded(req)

    with serve(handler) as base:
        items = list(
            read_postings(board_url("ashby", "finni-health", base_url=base), settings=settings)
        )
    assert [p.company for p in items] == ["Finni Health"] * 3  # type: ignore[union-attr]
    assert seen[0].query == {"includeCompensation": ["true"]}
    assert seen[0].headers["user-agent"] == settings.user_agent


def test_429_with_retry_after_then_success(settings: Settings) -> None:
    calls: list[float] = []

    def handler(req: Request) -> Response:
        calls.append(time.monotonic())
        if len(calls) == 1:
            return Response(429, b"slow down", {"Retry-After": "1"})
        return _recorded(req)

    with serve(handler) as base:
        items = list(read_postings(base + "/v0/postings/leverdemo", settings=settings))
    assert len(items) == 2 and len(calls) == 2
    assert calls[1] - calls[0] >= 0.9  # waited as told, not the 10 ms backoff


def test_503_then_dropped_connection_then_success(settings: Settings) -> None:
    answers = [Response(503), Response(drop=True)]

    def handler(req: Request) -> Response:
        return answers.pop(0) if answers else _recorded(req)

    with serve(handler) as base:
        items = list(read_postings(base + "/v1/boards/vaulttec/jobs", settings=settings))
    assert len(items) == 2 and not answers


def test_500_exhausted_raises_source_unavailable(settings: Settings) -> None:
    calls = []

    def handler(req: Request) -> Response:
        calls.append(req)
        return Response(500, b"boom")

    with serve(handler) as base, pytest.raises(SourceUnavailable, match="HTTP 500") as info:
        list(read_postings(base + "/v0/postings/leverdemo", settings=settings))
    assert len(calls) == _http.RETRY_ATTEMPTS
    assert info.value.retryable


def test_timeout_is_retried_then_unavailable(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, allow_private_addresses=True, http_timeout_s=0.2)
    slow = serve(lambda req: Response(200, b"[]", delay_s=0.6))
    with slow as base, pytest.raises(SourceUnavailable, match="Timeout"):
        list(read_postings(base + "/v0/postings/slow", settings=settings))


def test_404_is_a_format_error_and_not_retried(settings: Settings) -> None:
    calls = []

    def handler(req: Request) -> Response:
        calls.append(req)
        return Response(404, b'{"ok": false, "error": "Document not found"}')

    with serve(handler) as base, pytest.raises(SourceFormatError, match="HTTP 404"):
        list(read_postings(base + "/v0/postings/nope", settings=settings))
    assert len(calls) == 1


def test_redirect_is_followed(settings: Settings) -> None:
    def handler(req: Request) -> Response:
        if req.path == "/old":
            return Response(301, b"", {"Location": "/v1/boards/vaulttec/jobs"})
        return _recorded(req)

    with serve(handler) as base:
        items = list(read_postings(base + "/old", kind="greenhouse", settings=settings))
    assert len(items) == 2


def test_oversized_response_is_refused(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_http, "MAX_RESPONSE_BYTES", 1000)
    with serve(_recorded) as base, pytest.raises(SourceFormatError, match=r"size cap|over 1000"):
        list(read_postings(base + "/v1/boards/vaulttec/jobs", settings=settings))


def test_private_address_refused_unless_allowed(tmp_path: Path) -> None:
    calls = []

    def handler(req: Request) -> Response:
        calls.append(req)
        return _recorded(req)

    strict = Settings(home=tmp_path, allow_private_addresses=False)
    with serve(handler) as base:
        with pytest.raises(SourceError, match=r"non-public address 127\.0\.0\.1"):
            list(read_postings(base + "/v0/postings/leverdemo", settings=strict))
        host = base.replace("127.0.0.1", "localhost")  # a name resolving to loopback
        with pytest.raises(SourceError, match="non-public address"):
            list(read_postings(host + "/v0/postings/leverdemo", settings=strict))
    assert calls == []
    for url in ("http://169.254.169.254/latest/meta-data", "http://10.0.0.5/x", "http://[::1]/x"):
        with pytest.raises(SourceError, match="non-public"):
            list(read_postings(url, kind="lever", settings=strict))
