"""Skills extraction against the shipped taxonomy (ESCO, O*NET, Stack Overflow tags).

    extractor = SkillExtractor.load()
    extractor.extract("We use Python, Go and PostgreSQL", title="Backend Engineer")

Matching is dictionary based (Aho-Corasick over normalized text, word-boundary checks, case
rules for ambiguous forms): precise and cheap (~0.1-0.2 ms per posting), limited recall.
The taxonomy is built by ``scripts/build_skills.py``; see ``data/README.md``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from hirehound.errors import ConfigurationError
from hirehound.skills._matcher import build_automaton, find, read_taxonomy

__all__ = ["DEFAULT_TAXONOMY", "Skill", "SkillExtractor"]

DEFAULT_TAXONOMY = Path(__file__).parent / "data" / "skills.tsv.gz"


@dataclass(frozen=True, slots=True)
class Skill:
    """A taxonomy entry: stable id (``so:python``, ``esco:<uuid>``...), display name, category."""

    id: str
    name: str
    category: str  # technology, knowledge, skill, soft, language


class SkillExtractor:
    """Finds taxonomy skills in posting text; build once per process with ``load()``."""

    _cache: dict[Path, SkillExtractor] = {}
    _lock = threading.Lock()

    def __init__(self, skills: list[Skill], automaton: object) -> None:
        self._skills = skills
        self._automaton = automaton

    @classmethod
    def load(cls, path: Path | None = None) -> SkillExtractor:
        """Load a taxonomy file (the shipped one by default); cached per process and path."""
        resolved = (path or DEFAULT_TAXONOMY).resolve()
        with cls._lock:
            cached = cls._cache.get(resolved)
            if cached is not None:
                return cached
            try:
                rows = read_taxonomy(resolved)
            except (OSError, ValueError, EOFError) as exc:
                raise ConfigurationError(f"cannot read skills taxonomy {resolved}: {exc}") from exc
            skills = [Skill(r.id, r.name, r.category) for r in rows]
            extractor = cls(skills, build_automaton(rows))
            cls._cache[resolved] = extractor
            return extractor

    def extract(self, text: str, *, title: str | None = None) -> list[Skill]:
        """Skills mentioned in the title, then the text: unique, in order of first mention."""
        seen: set[int] = set()
        out: list[Skill] = []
        for part in (title, text):
            if not part:
                continue
            for _start, _end, idx in find(self._automaton, part):  # type: ignore[arg-type]
                if idx not in seen:
                    seen.add(idx)
                    out.append(self._skills[idx])
        return out

    def all_skills(self) -> list[Skill]:
        """Every skill in the taxonomy, in file order."""
        return list(self._skills)
