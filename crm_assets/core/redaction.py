"""Keep credentials out of logs, exception text and metadata.

A token can reach text in three spellings: as written, percent-encoded in a query
string (`quote`), and form-encoded (`quote_plus`). Every one is replaced. The
secrets are also registered with a logging filter on urllib3's logger, whose DEBUG
lines print request URLs (and so a query-string token) verbatim.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "***"

_known: set[str] = set()
_lock = threading.Lock()


class Redactor:
    def __init__(self, secrets: Iterable[str]):
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        _register(self._secrets)

    def redact(self, text: str) -> str:
        return _mask(text, self._secrets)


def _spellings(secret: str) -> list[str]:
    return sorted({secret, quote(secret, safe=""), quote_plus(secret)}, key=len, reverse=True)


def _mask(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        for spelling in _spellings(secret):
            text = text.replace(spelling, MASK)
    return text


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        with _lock:
            secrets = list(_known)
        if secrets:
            record.msg = _mask(record.getMessage(), secrets)
            record.args = None
        return True


_filter = _RedactingFilter()


def _register(secrets: Iterable[str]) -> None:
    with _lock:
        _known.update(secrets)
    for name in ("urllib3.connectionpool", "urllib3.util.retry", "requests"):
        logger = logging.getLogger(name)
        if _filter not in logger.filters:
            logger.addFilter(_filter)
