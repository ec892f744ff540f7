"""The bundled demo sample (real postings, see hirehound/demo_data/README.md)."""

from __future__ import annotations

from pathlib import Path

from hirehound.sources._detect import SourceKind, files_in

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo_data"
# Sub-folder per kind, so the demo never has to guess.
_KINDS: tuple[SourceKind, ...] = ("ashby", "jobspy", "generic", "jsonld")


def demo_targets() -> list[tuple[SourceKind, Path]]:
    """The bundled demo files as (kind, path), in a stable order (Ashby originals first)."""
    out: list[tuple[SourceKind, Path]] = []
    for kind in _KINDS:
        folder = DEMO_DIR / kind
        if folder.is_dir():
            out.extend((kind, p) for p in files_in(folder))
    return out
