"""Each adapter on recorded payloads: the fields every later step relies on."""

from __future__ import annotations

import json

from hirehound.records import BadRecord, SourcePosting
from hirehound.settings import Settings
from hirehound.sources import parse_payload, read_postings

from .conftest import FIXTURES


def _read(path: str, settings: Settings, **kw: object) -> list[SourcePosting]:
    items = list(read_postings(str(FIXTURES / path), settings=settings, **kw))  # type: ignore[arg-type]
    assert all(isinstance(i, SourcePosting) for i in items), items
    return items  # type: ignore[return-value]


def test_ashby_maps_fields_and_derives_company_from_board(settings: Settings) -> None:
    items = _read("ashby/finni-health.json", settings)
    raw = json.loads((FIXTURES / "ashby/finni-health.json").read_text())["jobs"]
    assert [p.source_id for p in items] == [j["id"] for j in raw]
    p = items[0]
    assert p.source == "ashby"
    assert p.company == "Finni Health"
    assert p.title == raw[0]["title"]
    assert p.url == raw[0]["jobUrl"]
    assert p.location == raw[0]["location"]
    assert p.date_posted == raw[0]["publishedAt"]
    assert p.employment_type == raw[0]["employmentType"]
    assert p.description_html == raw[0]["descriptionHtml"]
    assert p.description is None  # HTML present: the plain copy stays in the payload only
    assert p.salary == raw[0]["compensation"]["compensationTierSummary"]
    assert p.payload == raw[0]
    json.dumps(p.payload)  # stored as JSONB


def test_ashby_percent_encoded_board_and_hidden_pay(settings: Settings) -> None:
    first, second = _read("ashby/Iodine%20Software.json.gz", settings)
    assert first.company == second.company == "Iodine Software"
    assert first.salary
    # The employer chose not to display pay: it is not published through us either.
    assert second.payload["shouldDisplayCompensationOnJobPostings"] is False
    assert second.salary is None


def test_ashby_single_job_object_with_origin_url() -> None:
    raw = json.loads((FIXTURES / "ashby/finni-health.json").read_text())["jobs"][0]
    [p] = parse_payload("ashby", raw, origin="https://api.ashbyhq.com/posting-api/job-board/x")
    assert isinstance(p, SourcePosting)
    assert p.company == "Finni Health"  # the job URL's board wins over the origin


def test_greenhouse_unescapes_content_and_reads_pay(settings: Settings) -> None:
    a, b = _read("greenhouse/vaulttec.json", settings, kind="greenhouse")
    assert a.source == "greenhouse" and a.source_id == "4012345006"
    assert a.company == "Vault-Tec"
    assert a.description_html and a.description_html.startswith('<div class="content-intro">')
    assert "&lt;" not in a.description_html
    assert a.salary == "USD 170000-210000"
    assert a.employment_type == "Full-time"
    assert a.date_posted == "2025-09-30T10:02:11-04:00"  # first_published, not updated_at
    assert a.location == "New York, NY" and a.remote is None
    assert b.remote is True and b.salary is None and b.employment_type is None


def test_greenhouse_company_from_board_token_when_absent() -> None:
    job = json.loads((FIXTURES / "greenhouse/vaulttec.json").read_text())["jobs"][1]
    del job["company_name"]
    job["absolute_url"] = "https://example.com/careers?gh_jid=1"
    origin = "https://boards-api.greenhouse.io/v1/boards/acme-robotics/jobs?content=true"
    [p] = parse_payload("greenhouse", {"jobs": [job]}, origin=origin)
    assert isinstance(p, SourcePosting) and p.company == "Acme Robotics"


def test_lever_renders_lists_and_salary(settings: Settings) -> None:
    a, b = _read("lever/leverdemo.json", settings, kind="lever")
    assert a.source == "lever" and a.title == "Site Reliability Engineer"
    assert a.company == "Leverdemo"
    assert a.location == "San Francisco, CA, US"
    assert a.remote is False and b.remote is True  # hybrid is not remote
    assert a.employment_type == "Full-time"
    assert a.date_posted == "2024-09-30T16:00:00+00:00"
    html = a.description_html or ""
    assert "<h3>What you&#x27;ll do</h3><ul><li>Run Kubernetes" in html
    assert html.endswith("<div>Leverdemo is an equal opportunity employer.</div>")
    assert a.salary == "USD 150000-185000 YEAR"
    # No HTML description: plain text with the lists as bullets.
    assert b.description_html is None
    assert b.description == (
        "Write case studies and product announcements for a B2B audience.\n\n"
        "Requirements\n- A portfolio of B2B writing\n- Fluent English"
    )


def test_jsonld_graph_comment_and_broken_block(settings: Settings) -> None:
    items = list(read_postings(str(FIXTURES / "jsonld/example-careers.html"), settings=settings))
    postings = [i for i in items if isinstance(i, SourcePosting)]
    bads = [i for i in items if isinstance(i, BadRecord)]
    assert len(postings) == 2 and len(bads) == 1
    assert bads[0].error == "bad_jsonld" and "block 3" in bads[0].detail
    a, b = postings
    assert a.title == "Data Analyst & Reporting Lead"
    assert a.description_html and a.description_html.startswith("<p>Own our reporting")
    assert a.location == "Lisbon, Lisboa, PT; Porto, PT"
    assert a.employment_type == "FULL_TIME, CONTRACTOR"
    assert a.salary == "EUR 42000-55000 YEAR"
    assert a.company == "Example Org" and a.company_domain == "example.org"
    assert a.valid_through == "2025-12-31T00:00"
    assert a.source_id and len(a.source_id) == 24  # no identifier: stable hash
    assert b.source_id == "EX-204"
    assert b.remote is True and b.location == "Remote (Portugal)"
    assert b.description == "Answer customer questions by e-mail.\nNo weekends."
    assert b.description_html is None
    assert b.salary == "EUR 20 HOUR"


def test_jsonld_source_id_is_stable_across_reads() -> None:
    page = (FIXTURES / "jsonld/example-careers.html").read_text()
    first = [i.source_id for i in parse_payload("jsonld", page, origin="https://x.org/jobs")]
    again = [i.source_id for i in parse_payload("jsonld", page, origin="https://x.org/jobs")]
    assert first == again


def test_jsonld_plain_json_document() -> None:
    doc = [
        {
            "@context": "https://schema.org",
            "@type": "JobPosting",
            "title": "Baker",
            "url": "https://bakery.example/jobs/1",
            "hiringOrganization": {"name": "Bakery"},
        }
    ]
    [p] = parse_payload("jsonld", json.dumps(doc))
    assert isinstance(p, SourcePosting) and p.url == "https://bakery.example/jobs/1"


def test_jobspy_json_and_csv_agree(settings: Settings) -> None:
    from_json = _read("jobspy/jobspy_sample.json", settings)
    from_csv = _read("jobspy/jobspy_sample.csv", settings)
    assert [p.source for p in from_json] == ["jobspy"] * 3
    for a, b in zip(from_json, from_csv, strict=True):
        for field in ("source_id", "url", "title", "company", "location", "remote", "description"):
            assert getattr(a, field) == getattr(b, field), field
    glassdoor, varonis, _ = from_json
    assert glassdoor.title == varonis.title == "AP Accountant - EMEA"
    assert glassdoor.source_id != varonis.source_id
    assert glassdoor.description and glassdoor.description_html is None  # Markdown


def test_jobspy_salary_and_fallback_id() -> None:
    rec = {
        "site": "indeed",
        "job_url": "https://www.indeed.com/viewjob?jk=1",
        "title": "Nurse",
        "company": "Clinic",
        "min_amount": 30.0,
        "max_amount": 42.5,
        "interval": "hourly",
        "currency": "USD",
        "is_remote": "False",
        "location": {"city": "Austin", "state": "TX", "country": "US"},
        "company_url_direct": "https://www.clinic.example/about",
    }
    [p] = parse_payload("jobspy", rec)
    assert isinstance(p, SourcePosting)
    assert p.salary == "USD 30-42.5 HOURLY"
    assert p.source_id and len(p.source_id) == 24  # hash of job_url
    assert p.location == "Austin, TX, US" and p.remote is False
    assert p.company_domain == "clinic.example"


def test_generic_jsonl_and_csv_agree(settings: Settings) -> None:
    from_jsonl = _read("generic/generic_sample.jsonl", settings)
    from_csv = _read("generic/generic_sample.csv.gz", settings)
    assert [p.source for p in from_jsonl] == ["ashby", "jobboard-c", "jobboard-e"]
    for a, b in zip(from_jsonl, from_csv, strict=True):
        for field in (
            "source",
            "source_id",
            "title",
            "company",
            "remote",
            "description_html",
            "description",
            "date_posted",
            "employment_type",
        ):
            assert getattr(a, field) == getattr(b, field), field
    assert from_jsonl[0].description_html and from_jsonl[1].description


def test_directory_reads_every_supported_file_sorted(settings: Settings) -> None:
    items = list(read_postings(str(FIXTURES / "ashby"), settings=settings))
    assert [p.company for p in items] == ["Iodine Software"] * 2 + ["Finni Health"] * 3
