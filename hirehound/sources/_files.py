"""Local files read with caps, like responses on the network path (`sources/_http.py`).

A file is read whole only when it is one document (a board's JSON, a page), up to
MAX_DOCUMENT_BYTES after decompression; line-based files are streamed: gzip is decompressed
as it is read (never `gzip.decompress` of the whole), a line over MAX_LINE_BYTES is skipped
without being held, and a stream stops at MAX_STREAM_BYTES (a 4 GB zero-filled `.json.gz`
is a few megabytes on disk). Caps are read from `hirehound.limits` at call time.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import IO, cast

from hirehound import limits
from hirehound.errors import SourceFormatError
from hirehound.sources._common import LineDecoder

# What a dead letter keeps of a line over the cap.
_HEAD_CHARS = 1000


class OverlongLine(str):
    """The head of a line over MAX_LINE_BYTES (the rest was skipped); `size` its bytes."""

    size: int

    def __new__(cls, head: str, size: int) -> OverlongLine:
        obj = super().__new__(cls, head)
        obj.size = size
        return obj


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as raw:
        return raw.read(2) == b"\x1f\x8b"


def _open(path: Path) -> IO[bytes]:
    return cast(IO[bytes], gzip.open(path, "rb")) if _is_gzip(path) else path.open("rb")


def read_document(path: Path) -> bytes:
    """A whole file (decompressed when gzip), refused past MAX_DOCUMENT_BYTES."""
    cap = limits.MAX_DOCUMENT_BYTES
    with _open(path) as fh:
        data = fh.read(cap + 1)
    if len(data) > cap:
        raise SourceFormatError(f"{path}: over {cap} bytes (after decompression); not read")
    return data


def open_lines(path: Path, *, overlong: str = "skip") -> Iterator[str]:
    """A file's lines as text, streamed (gzip or plain), decoded line by line.

    A line over MAX_LINE_BYTES comes out as an `OverlongLine` (`overlong="skip"`: its head
    only) or stops the file with SourceFormatError (`"raise"`: for CSV, whose records cannot
    be found again after a cut line). Past MAX_STREAM_BYTES the file stops the same way.
    """
    line_cap, stream_cap = limits.MAX_LINE_BYTES, limits.MAX_STREAM_BYTES
    decode = LineDecoder()
    total = 0

    def count(n: int) -> None:
        nonlocal total
        total += n
        if total > stream_cap:
            raise SourceFormatError(f"{path}: over {stream_cap} bytes (after decompression); "
                                    "the rest is not read")

    with _open(path) as fh:
        while line := fh.readline(line_cap + 1):
            count(len(line))
            if len(line) <= line_cap or line.endswith(b"\n"):
                yield decode(line)
                continue
            if overlong == "raise":
                raise SourceFormatError(f"{path}: a line over {line_cap} bytes; the rest of "
                                        "the file is not read")
            size = len(line)
            while more := fh.readline(1 << 20):  # skip the rest, never holding it
                count(len(more))
                size += len(more)
                if more.endswith(b"\n"):
                    break
            yield OverlongLine(decode(line[:_HEAD_CHARS * 4])[:_HEAD_CHARS], size)
