from __future__ import annotations

from pathlib import Path

import pytest

from hirehound.settings import Settings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sources"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")
