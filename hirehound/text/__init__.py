"""Cleaning and normalization of posting fields (pipeline steps 2 and 3)."""

from __future__ import annotations

from hirehound.text._clean import CleanedDescription, clean_description

__all__ = ["CleanedDescription", "clean_description"]
