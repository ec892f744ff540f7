"""Legal-name and domain normalization: the keys organizations are matched on.

`normalize_name` is a unique key in the database: changing its output changes which postings
share an organization, so any change needs a data migration. Keep it boring and stable.
"""

from __future__ import annotations

import re
import unicodedata

# Legal forms, as tokens after normalization ("S.A." -> "sa", "Co." -> "co"). Only stripped at
# the end of a name, repeatedly ("GmbH & Co. KG"), and never down to nothing ("Limited" stays).
_LEGAL_FORMS_TEXT = """
    inc incorporated corp corporation co company cos companies llc lc llp lp lllp pllc plc ltd
    limited gmbh mbh ag kg kgaa ohg ug se sa sas sasu sarl srl spa sapa bv nv cv vof oy oyj ab
    asa as aps ks pty pte pvt private ptyltd kk gk yk sl slu ltda sro spzoo zoo sp ou uab
    sab sdn bhd tbk jsc pjsc ojsc zao ooo oao nl lda eirl scs snc
    בעמ
"""
_LEGAL_FORMS = frozenset(_LEGAL_FORMS_TEXT.split())
# Tokens dropped anywhere: articles and conjunctions that vary between spellings of one name.
_NOISE = frozenset({"the", "and", "und", "et"})
# Dots inside abbreviations ("S.A.", "L.L.C.") are removed so the letters join into one token.
_ABBREV_DOT = re.compile(r"(?<=\b\w)\.")
_NON_WORD = re.compile(r"[^\w]+")
# Apostrophes and Hebrew/ASCII quote marks inside words ("Macy's", "בע"מ") join their pieces.
_APOSTROPHES = re.compile(r"['’`´\"״]")


def _fold(text: str) -> str:
    # NFKD splits accents off ("Société" -> "Societe"); casefold handles ß and friends.
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()


def _tokens(name: str) -> list[str]:
    text = _fold(name).replace("&", " and ").replace("+", " and ")
    text = _APOSTROPHES.sub("", text)
    text = _ABBREV_DOT.sub("", text)
    return [t for t in _NON_WORD.sub(" ", text).replace("_", " ").split() if t]


def normalize_name(name: str) -> str:
    """The matching key of a company name: "1Password, Inc." and "1password" give "1password".

    Lower-cased, accents and punctuation removed, "the"/"and"/"&" dropped, trailing legal forms
    (Inc, LLC, Ltd, GmbH, S.A., PLC, Corp, Co., AG, BV, SAS, Pty Ltd, ...) stripped. Returns ""
    when nothing usable is left.
    """
    tokens = _tokens(name)
    words = [t for t in tokens if t not in _NOISE] or tokens
    # Strip legal forms from the end, but keep at least one word.
    while len(words) > 1 and words[-1] in _LEGAL_FORMS:
        words.pop()
        # "S.A. de C.V.": the "de" between two legal forms goes with them.
        if len(words) > 2 and words[-1] == "de" and words[-2] in _LEGAL_FORMS:
            words.pop()
    return " ".join(words)


def name_key(normalized: str) -> str:
    """A looser key for fuzzy blocking: spaces removed ("hello fresh" == "hellofresh")."""
    return normalized.replace(" ", "")


# Hosts that belong to job boards, ATSs or mail providers: never an employer's own domain.
_NOT_EMPLOYER = (
    "greenhouse.io",
    "lever.co",
    "ashbyhq.com",
    "workable.com",
    "linkedin.com",
    "indeed.com",
    "glassdoor.com",
    "smartrecruiters.com",
    "myworkdayjobs.com",
    "workday.com",
    "bamboohr.com",
    "recruitee.com",
    "breezy.hr",
    "jobvite.com",
    "icims.com",
    "taleo.net",
    "personio.de",
    "personio.com",
    "teamtailor.com",
    "jazzhr.com",
    "applytojob.com",
    "ziprecruiter.com",
    "monster.com",
    "wellfound.com",
    "angel.co",
    "gmail.com",
    "outlook.com",
    "hotmail.com",
    "yahoo.com",
    "comeet.com",
    "comeet.co",
    "successfactors.com",
    "oraclecloud.com",
    "facebook.com",
    "twitter.com",
    "x.com",
    "instagram.com",
    "crunchbase.com",
    "github.io",
    "google.com/maps",
    "sites.google.com",
    "wix.com",
    "notion.site",
)
_HOST_PREFIXES = ("www.", "www2.", "careers.", "jobs.", "about.", "corporate.", "en.", "m.")


def normalize_domain(value: str | None) -> str | None:
    """The bare host of a company URL or domain ("https://www.Acme.com/about" -> "acme.com").

    None for empty values, IP addresses and job-board / mail-provider hosts, which say nothing
    about who the employer is.
    """
    if not value:
        return None
    host = value.strip().lower()
    if "://" in host:
        host = host.split("://", 1)[1]
    host = host.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    host = host.rsplit("@", 1)[-1].split(":", 1)[0].strip(".")
    changed = True
    while changed:
        changed = False
        for prefix in _HOST_PREFIXES:
            if host.startswith(prefix) and host.count(".") > 1:
                host = host[len(prefix) :]
                changed = True
    if "." not in host or not re.fullmatch(r"[a-z0-9.-]+", host) or host.replace(".", "").isdigit():
        return None
    for board in _NOT_EMPLOYER:
        if "/" not in board and (host == board or host.endswith("." + board)):
            return None
    return host
