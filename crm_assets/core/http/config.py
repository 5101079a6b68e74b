"""What differs between sources' clients, as data: the base URL, the credential and
where it travels, the rate limit, the retry policy, timeouts and the vendor's budget
headers. Everything else is behaviour every source shares."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from crm_assets.core.http.errors import ApiError
from crm_assets.core.redaction import Redactor


@dataclass(frozen=True)
class Credential:
    """A secret and where it travels: a header, a query parameter, or both."""

    secret: str
    header: str | None = None
    header_prefix: str = ""
    query_param: str | None = None


@dataclass(frozen=True)
class RateLimit:
    """At most `requests` calls in any `per_seconds` window."""

    requests: int
    per_seconds: float = 1.0

    @classmethod
    def per_second(cls, rate: float) -> RateLimit:
        """`rate` calls a second; below one, one call per `1 / rate` seconds."""
        if rate >= 1:
            return cls(int(rate), 1.0)
        return cls(1, 1.0 / rate)


@dataclass(frozen=True)
class RetryPolicy:
    """How long a failing call is retried: `max_attempts` in all, waiting what the
    vendor asks for or else a backoff that doubles from `backoff_base` up to
    `backoff_max` seconds, each wait drawn between half that ceiling and the ceiling."""

    max_attempts: int = 6
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    # A Retry-After longer than this is not slept through: the run fails with a
    # clear message instead, and the next scheduled run resumes.
    max_wait: float = 900.0


@dataclass(frozen=True)
class ClientConfig:
    """What differs between sources; everything else is shared behaviour."""

    source: str
    base_url: str
    credential: Credential | None = None
    rate_limit: RateLimit | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: float = 30.0
    # The page size to ask for; a vendor may serve fewer, so never use it as a stop signal.
    page_size: int = 100
    # Source settings the stream code reads (e.g. an update window), by name.
    options: Mapping[str, Any] = field(default_factory=dict)
    user_agent: str = "crm_assets"
    # Turns an error response into a clear ApiError that is raised at once, without
    # retries (or None: the default handling, which retries 429 and 5xx).
    classify_error: Callable[[requests.Response, Redactor], ApiError | None] | None = None
    # A vendor's budget headers: when `remaining_header` falls to `remaining_floor`,
    # the client waits `reset_header` seconds before its next call instead of
    # spending the last request on a 429. A 429 without Retry-After waits for it too.
    remaining_header: str | None = None
    reset_header: str | None = None
    remaining_floor: int = 1

    def __post_init__(self) -> None:
        # Paths are joined with urljoin, which replaces the last segment of a base
        # without a trailing slash: ".../api/1" + "contatos" would be ".../api/contatos".
        object.__setattr__(self, "base_url", self.base_url.rstrip("/") + "/")
