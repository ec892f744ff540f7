"""Exceptions raised by the Hirehound core.

- HirehoundError: base of everything raised on purpose
  - ConfigurationError: a setting is wrong (bad URL, unwritable folder)
  - StorageError: the database cannot be reached or started
  - SourceError: a source could not be read
    - SourceUnavailable: network trouble or a 5xx/429; worth retrying
    - SourceFormatError: the payload is not what the source should send; never retried
  - CleaningError: a description cannot be turned into safe text
  - EnrichmentError: an enrichment source failed
    - EnrichmentUnavailable: retryable (timeouts, 5xx, 429, open circuit)
    - EnrichmentDataError: bad data from the source; never retried
"""

from __future__ import annotations


class HirehoundError(Exception):
    """Base class for errors raised by Hirehound on purpose."""

    retryable: bool = False


class ConfigurationError(HirehoundError):
    """A setting is wrong or points at something unusable."""


class StorageError(HirehoundError):
    """The database cannot be reached, started or migrated."""

    retryable = True


class SourceError(HirehoundError):
    """A source could not be read."""


class SourceUnavailable(SourceError):
    """The source did not answer properly (network, 5xx, 429); retry later."""

    retryable = True


class SourceFormatError(SourceError):
    """The payload is not in the shape the source promises; retrying will not help."""


class CleaningError(HirehoundError):
    """A description could not be turned into safe HTML and text."""


class EnrichmentError(HirehoundError):
    """An enrichment source failed."""


class EnrichmentUnavailable(EnrichmentError):
    """The enrichment source is down, slow, rate limited or its circuit is open."""

    retryable = True


class EnrichmentDataError(EnrichmentError):
    """The enrichment source answered with data we cannot use."""


def is_retryable(exc: BaseException) -> bool:
    """Whether a failure is worth another attempt (network trouble yes, bad data no)."""
    if isinstance(exc, HirehoundError):
        return exc.retryable
    # Unknown errors (driver hiccups, timeouts from libraries) get the benefit of the doubt.
    return not isinstance(exc, (ValueError, TypeError, KeyError))
