"""Cleaning and normalization of posting fields (pipeline steps 2 and 3).

- clean_description: sanitized HTML for display plus the whole description as plain text
- fold_for_match: the one comparison form (Unicode noise folded) every dedup key is built on
- normalize_title, normalize_employment_type, parse_date, parse_salary: short fields
"""

from __future__ import annotations

from hirehound.text._clean import CleanedDescription, clean_description
from hirehound.text._dates import parse_date
from hirehound.text._normalize import (
    EMPLOYMENT_TYPES,
    normalize_employment_type,
    normalize_title,
)
from hirehound.text._salary import Salary, parse_salary
from hirehound.text._unicode import fold_for_match

__all__ = [
    "EMPLOYMENT_TYPES",
    "CleanedDescription",
    "Salary",
    "clean_description",
    "fold_for_match",
    "normalize_employment_type",
    "normalize_title",
    "parse_date",
    "parse_salary",
]
