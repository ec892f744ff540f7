"""Industry in one taxonomy: the Glassdoor sector list (25 sectors).

Classification is zero-shot: each sector has a short description in this project's own words;
an organization's text (its description, the categories sources gave, a sample of its
postings) is embedded with the configured embedder and the nearest sector wins, nudged by
keyword hits (cheap, and they fix what averaged word vectors blur). Nothing is trained on
the evaluation labels (`benchmarks/industry_eval.py`).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# sector -> description (the embedding target) ; keywords are its comma-separated phrases.
SECTORS: dict[str, str] = {
    "Accounting & Legal": (
        "accounting, audit, tax advisory, bookkeeping, law firm, legal services, attorneys, CPA"
    ),
    "Aerospace & Defense": (
        "aerospace, defense, aircraft, missiles, satellites, space systems, military, defense "
        "contractor, security clearance, avionics"
    ),
    "Agriculture & Forestry": (
        "agriculture, farming, crops, forestry, agribusiness, livestock, seeds"
    ),
    "Arts, Entertainment & Recreation": (
        "entertainment, arts, museum, sports, recreation, music, gaming venues, casino, "
        "gambling, theater"
    ),
    "Biotech & Pharmaceuticals": (
        "biotechnology, pharmaceutical, drug discovery, clinical trials, therapeutics, "
        "genomics, biologics, oncology, molecules, FDA, life sciences"
    ),
    "Business Services": (
        "consulting, staffing, recruiting, outsourcing, advertising, marketing agency, "
        "research services, professional services, management consulting, security services"
    ),
    "Construction, Repair & Maintenance": (
        "construction, contractor, building, repair, maintenance, architecture, engineering "
        "services, HVAC, plumbing"
    ),
    "Consumer Services": (
        "consumer services, personal services, fitness, beauty, home services, dating, childcare"
    ),
    "Education": (
        "education, university, college, school, students, teaching, e-learning, edtech, "
        "campus, academic"
    ),
    "Finance": (
        "finance, bank, banking, credit union, lending, loans, investment, asset management, "
        "brokerage, payments, fintech, trading, stock exchange, credit cards"
    ),
    "Government": (
        "government, federal agency, public sector, state agency, municipal, city of, department of"
    ),
    "Health Care": (
        "health care, hospital, clinic, patients, medical services, physicians, nursing, "
        "healthcare provider, health system, care delivery"
    ),
    "Information Technology": (
        "software, SaaS, cloud, internet, IT services, computer hardware, enterprise "
        "software, data platform, developer tools, cybersecurity, web, apps, analytics "
        "platform, storage"
    ),
    "Insurance": (
        "insurance, insurer, underwriting, claims, policyholders, actuarial, reinsurance, "
        "insurance carrier, insurance brokerage"
    ),
    "Manufacturing": (
        "manufacturing, factory, industrial, production, consumer products manufacturing, "
        "food and beverage manufacturing, chemicals, machinery, automotive parts, equipment"
    ),
    "Media": (
        "media, publishing, news, broadcasting, journalism, video, film, streaming, video "
        "games, content"
    ),
    "Mining & Metals": ("mining, metals, steel, minerals, ore, aluminum"),
    "Non-Profit": (
        "non-profit, nonprofit, charity, foundation, religious organization, church, "
        "ministry, social assistance, mission-driven, donors"
    ),
    "Oil, Gas, Energy & Utilities": (
        "oil, gas, energy, utilities, electricity, power generation, renewable energy, solar, "
        "pipeline, petroleum"
    ),
    "Real Estate": (
        "real estate, property management, commercial property, realty, leasing, homes, REIT"
    ),
    "Restaurants, Bars & Food Services": (
        "restaurant, food services, catering, bar, dining, cafe, fast food"
    ),
    "Retail": (
        "retail, stores, shopping, e-commerce, merchandise, apparel, clothing, department "
        "store, grocery, gas station"
    ),
    "Telecommunications": (
        "telecommunications, wireless, telecom, network operator, mobile carrier, broadband, cable"
    ),
    "Transportation & Logistics": (
        "transportation, logistics, shipping, freight, trucking, delivery, supply chain, "
        "airline, rail"
    ),
    "Travel & Tourism": (
        "travel, tourism, hotels, hospitality, travel agency, vacation, booking, airline "
        "tickets, cruises"
    ),
}

_WORD = re.compile(r"[a-z][a-z\-]+")
KEYWORD_WEIGHT = 0.05


@dataclass(frozen=True, slots=True)
class IndustryGuess:
    sector: str
    score: float
    runner_up: str


@functools.cache
def _keyword_patterns() -> dict[str, re.Pattern[str]]:
    out = {}
    for sector, desc in SECTORS.items():
        phrases = sorted(
            {p.strip().lower() for p in desc.split(",") if p.strip()}, key=len, reverse=True
        )
        out[sector] = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")\b")
    return out


class IndustryClassifier:
    """Nearest sector by embedding, plus keyword hits; `embedder` is any hirehound Embedder."""

    def __init__(self, embedder: object) -> None:
        self._embedder = embedder
        self.labels = list(SECTORS)
        texts = [f"{name}: {desc}" for name, desc in SECTORS.items()]
        self._label_vectors = np.asarray(embedder.embed(texts), dtype=np.float32)  # type: ignore[attr-defined]

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), n_sectors) scores; higher is closer."""
        vecs = np.asarray(self._embedder.embed([t[:8000] for t in texts]), dtype=np.float32)  # type: ignore[attr-defined]
        sims = vecs @ self._label_vectors.T
        patterns = _keyword_patterns()
        for i, text in enumerate(texts):
            low = text.lower()
            for j, sector in enumerate(self.labels):
                hits = len(patterns[sector].findall(low))
                if hits:
                    sims[i, j] += KEYWORD_WEIGHT * math.log1p(hits)
        return sims

    def classify(self, texts: Sequence[str]) -> list[IndustryGuess | None]:
        """One guess per text (None for empty text)."""
        out: list[IndustryGuess | None] = [None] * len(texts)
        idx = [i for i, t in enumerate(texts) if t and t.strip()]
        if not idx:
            return out
        sims = self.scores([texts[i] for i in idx])
        for row, i in zip(sims, idx, strict=True):
            order = np.argsort(-row)
            out[i] = IndustryGuess(
                self.labels[order[0]], float(row[order[0]]), self.labels[order[1]]
            )
        return out


def sector_of_category(category: str) -> str | None:
    """A sector for a source's own category words when a keyword says so plainly."""
    low = category.lower()
    best, hits = None, 0
    for sector, pattern in _keyword_patterns().items():
        n = len(pattern.findall(low))
        if n > hits:
            best, hits = sector, n
    return best


_SENTENCE = re.compile(r"(?<=[.!?\n])\s+")
_ABOUT = re.compile(
    r"\b(?:we are|we're|our (?:company|mission|clients|customers|products|firm|organization)|"
    r"about us|is a leading|is an? (?:global|leading|innovative|national)|founded in|"
    r"headquartered)\b",
    re.I,
)


def company_sentences(name: str, texts: Sequence[str], *, limit: int = 40) -> str:
    """The sentences of postings that talk about the company itself, not the job.

    A data-science posting at an insurer mostly describes data science; the lines naming the
    company or saying "we are..." say what the company does.
    """
    first = next((w for w in re.findall(r"\w+", name.lower()) if len(w) > 2), None)
    out: list[str] = []
    for text in texts:
        for sentence in _SENTENCE.split(text):
            low = sentence.lower()
            if _ABOUT.search(sentence) or (first and first in low):
                out.append(sentence.strip()[:400])
                if len(out) >= limit:
                    return " ".join(out)
    return " ".join(out)
