"""What a vendor call raises, the error an answer's status becomes, and which errors a
rerun may cure.

Every message is redacted before it is raised. `Transient` is the client's own
signal for a failure worth retrying; it never leaves the client.
"""

from __future__ import annotations

import requests

from crm_assets.core.http.body import excerpt
from crm_assets.core.redaction import Redactor

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class ApiError(Exception):
    """A vendor call failed. The message is already redacted and says what to do."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class FatalApiError(ApiError):
    """No other stream of this run can succeed either: stop the run."""


class AuthenticationError(FatalApiError):
    """The vendor rejected the credential."""


class MalformedResponseError(ApiError):
    """A 2xx answer whose body could not be decoded, even after retries."""


class RetriesExhaustedError(ApiError):
    """A transient failure (429, 5xx, network) outlived every retry."""


def rerun_may_fix(error: BaseException) -> bool:
    """Whether running again, unchanged, may succeed: the vendor was unreachable, slow,
    busy or throttling (a timeout, a connection failure, 429, 5xx), or sent a garbled
    page. A rejected credential, a missing model or endpoint, a refused request fail
    the same way every time: something must change first.
    """
    if isinstance(error, RetriesExhaustedError | MalformedResponseError):
        return True
    return isinstance(error, ApiError) and error.status in RETRY_STATUSES


def status_error(response: requests.Response, source: str, redactor: Redactor) -> ApiError:
    """The error a 4xx or 5xx answer that is not retried becomes: AuthenticationError
    for 401 and 403, ApiError with the status otherwise."""
    status = response.status_code
    where = f"{response.request.method} {redactor.redact(response.url)}"
    if status in (401, 403):
        return AuthenticationError(
            f"{source}: HTTP {status} on {where}: the credential was rejected "
            f"({excerpt(response, redactor)}). Check the token and its permissions.",
            status=status,
        )
    return ApiError(
        f"{source}: HTTP {status} on {where}: {excerpt(response, redactor)}",
        status=status,
    )


class Transient(Exception):
    """One attempt failed in a way the next may not: the client retries it.

    `retry_after` is the wait the vendor asked for, in seconds, or None when it named
    none and the backoff decides.
    """

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after
