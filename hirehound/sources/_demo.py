"""The bundled demo sample (real postings, see hirehound/demo_data/README.md)."""

from __future__ import annotations

from pathlib import Path

from hirehound.sources._adapter import kinds
from hirehound.sources._detect import SourceKind, files_in

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo_data"


def demo_targets() -> list[tuple[SourceKind, Path]]:
    """The bundled demo files as (kind, path): a sub-folder per kind, so the demo never has to
    guess, in the registry's order (Ashby originals first)."""
    out: list[tuple[SourceKind, Path]] = []
    for kind in kinds():
        folder = DEMO_DIR / kind
        if folder.is_dir():
            out.extend((kind, p) for p in files_in(folder))
    return out
