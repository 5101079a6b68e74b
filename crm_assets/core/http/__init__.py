"""The one HTTP client every source uses: sessions, retries, rate limits, errors,
credentials kept out of text. Imports no other part of core.

What it offers:

- `ApiClient`, a source's client, one for every thread of a run: JSON requests with a
  timeout each, retries with backoff, a rate limit and the vendor's budget headers
  honoured across threads; `ClientStats`, what it did, in all or for one piece of work.
- `ClientConfig` and what it holds (`Credential`, `RateLimit`, `RetryPolicy`): all
  that differs between sources; `BodyCheck`, a caller's test of a 2xx body.
- The errors a call raises (`ApiError`, `FatalApiError`, `AuthenticationError`,
  `MalformedResponseError`, `RetriesExhaustedError`), each message redacted;
  `RETRY_STATUSES`, the statuses retried; `rerun_may_fix`, whether running again
  unchanged may succeed.

Its modules: `client`, `config`, `errors`; `pacing` (limiter, budget pause, wait
hints), `gate` (side by side or one at a time), `session` (the one session every
thread sends on), `stats` (counts, whole and per context), `body` (JSON, bytes on the
wire, excerpts). Code outside this part imports from here.
"""

from crm_assets.core.http.client import ApiClient, BodyCheck
from crm_assets.core.http.config import ClientConfig, Credential, RateLimit, RetryPolicy
from crm_assets.core.http.errors import (
    RETRY_STATUSES,
    ApiError,
    AuthenticationError,
    FatalApiError,
    MalformedResponseError,
    RetriesExhaustedError,
    rerun_may_fix,
)
from crm_assets.core.http.stats import ClientStats

__all__ = [
    "RETRY_STATUSES",
    "ApiClient",
    "ApiError",
    "AuthenticationError",
    "BodyCheck",
    "ClientConfig",
    "ClientStats",
    "Credential",
    "FatalApiError",
    "MalformedResponseError",
    "RateLimit",
    "RetriesExhaustedError",
    "RetryPolicy",
    "rerun_may_fix",
]
