"""What spaces a client's requests out, shared by all its threads: the rate limiter,
the pause a vendor's spent window imposes, and reading how long the vendor asks to
wait."""

from __future__ import annotations

import threading
import time
from collections import deque
from email.utils import parsedate_to_datetime

import requests
from pyrate_limiter import Duration, Limiter, Rate

from crm_assets.core.http.config import RateLimit

# The limiter counts when requests leave; the vendor counts when they arrive, and
# requests sent from several threads (on a busy machine, one process among many) do
# not all take the same time to get there. Each window is widened by this much so
# that spread never makes one more request land in the vendor's window than it allows.
ARRIVAL_SPREAD_SECONDS = 0.1


def limiter(rate: RateLimit | None) -> Limiter | None:
    """A limiter that lets `rate` through per window (widened by the arrival spread),
    or None when the source has no rate limit."""
    if rate is None:
        return None
    window = rate.per_seconds + ARRIVAL_SPREAD_SECONDS
    return Limiter(Rate(rate.requests, int(window * Duration.SECOND)))


class Sent:
    """When this client's last requests left: whether its own requests fill a window."""

    def __init__(self, rate: RateLimit | None):
        self._rate = rate
        self._lock = threading.Lock()
        self._times: deque[float] = deque(maxlen=rate.requests if rate else 1)

    def add(self) -> None:
        with self._lock:
            self._times.append(time.monotonic())

    def fill_the_window(self) -> bool:
        """Whether this client sent the whole rate within the last window (widened by
        the arrival spread): the limiter then holds its next request until that window
        has passed, and a vendor's window spent by these requests needs no pause."""
        if self._rate is None:
            return False
        window = self._rate.per_seconds + ARRIVAL_SPREAD_SECONDS
        with self._lock:
            full = len(self._times) == self._times.maxlen
            return full and time.monotonic() - self._times[0] <= window


class Pause:
    """A moment before which no thread may send: the vendor said its window is spent."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until = 0.0

    def hold(self, seconds: float) -> None:
        """Keep every thread from sending for `seconds`, or longer if already held."""
        with self._lock:
            self._until = max(self._until, time.monotonic() + seconds)

    def remaining(self) -> float:
        """Seconds left to wait; zero or less when sending may go on."""
        with self._lock:
            return self._until - time.monotonic()


def retry_after(response: requests.Response, reset_header: str | None) -> float | None:
    """Seconds the vendor asks to wait: its `Retry-After` (seconds or an HTTP date),
    else its reset header, else None."""
    header = response.headers.get("Retry-After")
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(header).timestamp() - time.time())
            except (TypeError, ValueError):
                pass
    return reset_seconds(response, reset_header)


def reset_seconds(response: requests.Response, reset_header: str | None) -> float | None:
    """Seconds until the vendor's window resets, from `reset_header`; None when the
    source names no such header or the answer lacks a number in it."""
    if not reset_header:
        return None
    try:
        return max(0.0, float(response.headers[reset_header]))
    except (KeyError, ValueError):
        return None
