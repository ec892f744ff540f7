from __future__ import annotations

import pytest

from hirehound.orgs import name_key, normalize_domain, normalize_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1Password, Inc.", "1password"),
        ("1password", "1password"),
        ("Acme Corp.", "acme"),
        ("ACME CORPORATION", "acme"),
        ("The Coca-Cola Company", "coca cola"),
        ("Johnson & Johnson", "johnson johnson"),
        ("Johnson and Johnson", "johnson johnson"),
        ("Société Générale S.A.", "societe generale"),
        ("Siemens AG", "siemens"),
        ("Robert Bosch GmbH & Co. KG", "robert bosch"),  # several legal forms in a row
        ("Atlassian Pty Ltd", "atlassian"),
        ("Foo L.L.C.", "foo"),
        ("Booking.com B.V.", "booking com"),
        ("Grupo Bimbo, S.A.B. de C.V.", "grupo bimbo"),  # "de" between two forms goes too
        ("Macy's, Inc.", "macys"),
        ("Limited", "limited"),  # never stripped down to nothing
        ("The Company", "company"),
        ("  NVIDIA   CORP ", "nvidia"),
        ("Check Point Software Technologies Ltd.", "check point software technologies"),
        ('טבע תעשיות פרמצבטיות בע"מ', "טבע תעשיות פרמצבטיות"),  # Hebrew "Ltd"
        ("---", ""),
        ("", ""),
    ],
)
def test_normalize_name(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


def test_normalize_name_is_idempotent() -> None:
    for raw in ["1Password, Inc.", "Robert Bosch GmbH & Co. KG", "Société Générale S.A."]:
        once = normalize_name(raw)
        assert normalize_name(once) == once


def test_name_key_ignores_spaces() -> None:
    assert name_key(normalize_name("Hello Fresh SE")) == name_key(normalize_name("HelloFresh"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.Acme.com/about?x=1", "acme.com"),
        ("acme.com", "acme.com"),
        ("careers.acme.co.uk", "acme.co.uk"),
        ("www.io", "www.io"),  # a prefix is only stripped when a domain remains
        ("https://boards.greenhouse.io/acme", None),  # an ATS, not the employer
        ("jobs.lever.co", None),
        ("gmail.com", None),
        ("http://127.0.0.1:8000", None),
        ("localhost", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_domain(raw: str | None, expected: str | None) -> None:
    assert normalize_domain(raw) == expected
