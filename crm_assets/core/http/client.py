"""The one HTTP client every source uses.

A keep-alive `requests.Session` with a timeout on every call, a client-side rate
limiter, bounded retries with exponential backoff on 429, 5xx, connection errors
and malformed bodies (honouring `Retry-After` and a vendor's reset header), and
redaction of the credential from every log line and error.

Retries live in this module's own loop (tenacity), not in a mounted urllib3
`Retry`, because demo mode swaps the transport for an in-process WSGI adapter
and both paths must behave alike.

A client is made to be used from many threads at once, one client per source and
run: its limiter, budget pause and gate are every thread's, so concurrent streams
spend one budget, and it sends on one session that no answer changes (`session`).
What it sent is counted for the whole client (`stats`) and, apart, for each context
that asks (`counting`, e.g. one stream and the page work it hands to other threads).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import urljoin

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from crm_assets.core.http.body import decode_json, excerpt, wire_bytes
from crm_assets.core.http.config import ClientConfig, Credential
from crm_assets.core.http.errors import (
    RETRY_STATUSES,
    FatalApiError,
    RetriesExhaustedError,
    Transient,
    status_error,
)
from crm_assets.core.http.gate import Gate
from crm_assets.core.http.pacing import Pause, Sent, limiter, reset_seconds, retry_after
from crm_assets.core.http.session import shared_session
from crm_assets.core.http.stats import ClientStats, Tally
from crm_assets.core.redaction import Redactor

BodyCheck = Callable[[Any], str | None]
"""A decoded 2xx body -> why it is a transient fault to retry, or None when it is usable."""


# Connections kept per host when the caller does not say how many threads will send.
CONNECTIONS = 10


class ApiClient:
    """A source's HTTP client, for every thread of a run. Use as a context manager so
    the session closes.

    `connections` is how many threads may send at once: the session keeps that many
    connections open per host.
    """

    def __init__(self, config: ClientConfig, *, logger: Any = None, connections: int = CONNECTIONS):
        self.config = config
        # Warnings (retries, waits) go to `logger`, usually the run's log; per-request
        # detail goes to the Python logger only, since Dagster stores each run-log line.
        self.detail = logging.getLogger(f"crm_assets.{config.source}")
        self.log = logger or self.detail
        self._tally = Tally()
        self.stats: ClientStats = self._tally.total
        self.redactor = Redactor([config.credential.secret] if config.credential else [])
        # Callers configure it (headers, mounted transports) before the first request.
        self.session = shared_session(config.user_agent, connections)
        self._limiter = limiter(config.rate_limit)
        self._sent = Sent(config.rate_limit)
        self._pause = Pause()
        self._gate = Gate()
        # What a source learns once for the whole run and its streams share (which API
        # version a server speaks, a login): its own keys, guarded by its own locks.
        self.shared: dict[str, Any] = {}

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the session and its connections."""
        self.session.close()

    def mount(self, prefix: str, adapter: requests.adapters.BaseAdapter) -> None:
        """Send requests under `prefix` through `adapter` (a demo's in-process transport)."""
        self.session.mount(prefix, adapter)

    def counting(self) -> AbstractContextManager[ClientStats]:
        """Count the requests sent within the block apart, in the stats it yields, as
        well as in `stats`: those sent by the block's own thread, and by tasks it hands
        to other threads in a copy of its context (`contextvars.copy_context`)."""
        return self._tally.apart()

    def get_json(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        transient: BodyCheck | None = None,
    ) -> Any:
        """GET `path` (relative to the base URL) and return the decoded JSON body."""
        return self.request_json("GET", path, params=params, transient=transient)

    def request_json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        transient: BodyCheck | None = None,
    ) -> Any:
        """Send one logical request, retrying transient failures; return decoded JSON.

        `transient(body)` lets the caller reject a 2xx body the vendor is known to send
        by fault now and then: it returns why the body is unusable (or None when it is
        fine), and the request is retried with the same backoff, counted in `stats`,
        and ends in RetriesExhaustedError naming that reason if the fault persists.

        Raises AuthenticationError, ApiError (with the vendor's status), RetriesExhaustedError
        or MalformedResponseError, each with a redacted message. A 204 decodes to None.
        """
        url = urljoin(self.config.base_url, path.lstrip("/"))
        retrying = Retrying(
            stop=stop_after_attempt(self.config.retry.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(Transient),
            before_sleep=self._log_retry,
            sleep=self._sleep,
            reraise=True,
        )
        failure: Transient | None = None
        try:
            return retrying(self._attempt, method, url, params, json_body, transient)
        except Transient as exc:
            # Raised outside the handler so the original exception (whose text may carry
            # the URL and so a query-string token) is not chained onto ours.
            failure = exc
        raise RetriesExhaustedError(
            f"{self.config.source}: {method} {self.redactor.redact(url)} still failing after "
            f"{self.config.retry.max_attempts} attempts: {failure}. Nothing was lost: rows "
            f"already written stay, and re-running the partition resumes."
        )

    def _attempt(
        self, method: str, url: str, params: Any, json_body: Any, transient: BodyCheck | None
    ) -> Any:
        with self._gate.passage():
            response = self._send(method, url, params, json_body)
            try:
                return self._read(response, transient)
            except FatalApiError as exc:
                self._gate.close(exc)
                raise

    def _read(self, response: requests.Response, transient: BodyCheck | None) -> Any:
        self._gate.learn(response.status_code)
        self._count(bytes_received=wire_bytes(response))
        self._pace(response)
        if response.status_code == 429:
            self._count(throttled=1)
            # Every thread waits out the vendor's no, or each would earn its own 429.
            # (A wait past max_wait ends the run instead; see `_wait`.)
            hinted = retry_after(response, self.config.reset_header) or 0.0
            if hinted <= self.config.retry.max_wait:
                self._pause.hold(hinted)
        if response.status_code >= 400 and self.config.classify_error:
            classified = self.config.classify_error(response, self.redactor)
            if classified is not None:
                raise classified
        if response.status_code in RETRY_STATUSES:
            raise Transient(
                f"HTTP {response.status_code} {self._excerpt(response)}",
                retry_after=retry_after(response, self.config.reset_header),
            )
        if response.status_code >= 400:
            raise status_error(response, self.config.source, self.redactor)
        if response.status_code == 204 or not response.content:
            return None
        try:
            body = decode_json(response.content)
        except ValueError:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise Transient(
                f"HTTP {response.status_code} with a body that is not valid JSON "
                f"({len(response.content)} bytes, starts {self._excerpt(response, 60)})"
            ) from None
        reason = transient(body) if transient else None
        if reason:
            raise Transient(f"HTTP {response.status_code} {self.redactor.redact(reason)}")
        return body

    def _send(self, method: str, url: str, params: Any, json_body: Any) -> requests.Response:
        credential = self.config.credential
        headers: dict[str, str] = {}
        params = dict(params or {})
        if credential and credential.header:
            headers[credential.header] = credential.header_prefix + credential.secret
        if credential and credential.query_param:
            params[credential.query_param] = credential.secret
        paused = self._pause.remaining()
        if paused > 0:
            self._sleep(paused)
        if self._limiter is not None:
            self._limiter.try_acquire(self.config.source)
        self._sent.add()
        self._count(requests=1)
        self.detail.debug(self.redactor.redact(f"{method} {url} {_without(params, credential)}"))
        error: str | None = None
        try:
            return self.session.request(
                method,
                url,
                params=params,
                json=json_body,
                headers=headers,
                timeout=self.config.timeout,
            )
        except requests.Timeout:
            error = f"no answer within {self.config.timeout:g}s"
        except requests.ConnectionError as exc:
            error = f"connection failed ({type(exc).__name__}: {self.redactor.redact(str(exc))})"
        raise Transient(error)

    def _count(self, **amounts: float) -> None:
        self._tally.add(**amounts)

    def _pace(self, response: requests.Response) -> None:
        """Slow down before the vendor has to say no: wait out a nearly spent window.

        The thread that read the header sleeps until the window resets, and every other
        thread of this client holds its next request until then too.
        """
        if not self.config.remaining_header or response.status_code == 429:
            return
        try:
            remaining = int(response.headers[self.config.remaining_header])
        except (KeyError, ValueError):
            return
        wait = reset_seconds(response, self.config.reset_header)
        # A window this client's own requests spent is waited out by its limiter:
        # pausing for the reset as well (whole seconds) would idle every thread.
        if remaining <= self.config.remaining_floor and wait and not self._sent.fill_the_window():
            wait = min(wait, self.config.retry.max_wait)
            self.detail.debug(
                f"{self.config.source}: {remaining} requests left in the window; "
                f"pausing {wait:.1f}s until it resets"
            )
            self._pause.hold(wait)
            self._sleep(wait)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = getattr(exc, "retry_after", None)
        if hinted is not None:
            if hinted > self.config.retry.max_wait:
                raise RetriesExhaustedError(
                    f"{self.config.source}: the API asked to wait {hinted:.0f}s, more than the "
                    f"{self.config.retry.max_wait:.0f}s this run may wait ({exc}). The budget "
                    f"resets by itself: the next run resumes with nothing lost."
                )
            return hinted
        ceiling = min(
            self.config.retry.backoff_max,
            self.config.retry.backoff_base * 2 ** (state.attempt_number - 1),
        )
        return random.uniform(ceiling / 2, ceiling)

    def _sleep(self, seconds: float) -> None:
        self._count(waited_seconds=seconds)
        time.sleep(seconds)

    def _log_retry(self, state: RetryCallState) -> None:
        self._count(retries=1)
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        self.log.warning(
            self.redactor.redact(
                f"{self.config.source}: {exc}; retry {state.attempt_number} of "
                f"{self.config.retry.max_attempts - 1} in {wait:.1f}s"
            )
        )

    def _excerpt(self, response: requests.Response, limit: int = 200) -> str:
        return excerpt(response, self.redactor, limit)


def _without(params: Mapping[str, Any], credential: Credential | None) -> dict[str, Any]:
    hidden = credential.query_param if credential else None
    return {k: v for k, v in params.items() if k != hidden}
