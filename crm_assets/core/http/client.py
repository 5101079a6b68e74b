"""The one HTTP client every source uses.

A keep-alive `requests.Session` with a timeout on every call, a client-side rate
limiter, bounded retries with exponential backoff and full jitter on 429, 5xx,
connection errors and malformed bodies (honouring `Retry-After` and a vendor's
reset header), and redaction of the credential from every log line and error.

Retries live in this module's own loop (tenacity), not in a mounted urllib3
`Retry`, because demo mode swaps the transport for an in-process WSGI adapter
and both paths must behave alike.

A client may be used from several threads: the limiter and the budget pause are
shared by every thread and every `branch()` of it, so concurrent streams spend one
budget; each thread sends on a session of its own (a `requests.Session` is not
documented as thread-safe).
"""

from __future__ import annotations

import copy
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

import orjson
import requests
from pyrate_limiter import Duration, Limiter, Rate
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from crm_assets.core.redaction import Redactor

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})

BodyCheck = Callable[[Any], str | None]
"""A decoded 2xx body -> why it is a transient fault to retry, or None when it is usable."""


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
        if rate >= 1:
            return cls(int(rate), 1.0)
        return cls(1, 1.0 / rate)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    # A Retry-After longer than this is not slept through: the run fails with a
    # clear message instead, and the next scheduled run resumes.
    max_wait: float = 900.0


@dataclass
class ClientStats:
    requests: int = 0
    retries: int = 0
    waited_seconds: float = 0.0
    # 429 answers received (each one retried or final).
    throttled: int = 0
    # Body bytes of every answer read, as sent (compressed, where the vendor compresses).
    bytes_received: int = 0


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
    # Pages of a numbered or offset list, or of a list whose pages are all known at the
    # start, asked for while the previous one is on its way (`core.sync.pagination`); the
    # resource sets it from `pages_requested_ahead`.
    pages_ahead: int = 0
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


class _Transient(Exception):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class ApiClient:
    """A source's HTTP client. Use as a context manager so the session closes."""

    def __init__(self, config: ClientConfig, *, logger: Any = None):
        self.config = config
        # Warnings (retries, waits) go to `logger`, usually the run's log; per-request
        # detail goes to the Python logger only, since Dagster stores each run-log line.
        self.detail = logging.getLogger(f"crm_assets.{config.source}")
        self.log = logger or self.detail
        self.stats = ClientStats()
        self.redactor = Redactor([config.credential.secret] if config.credential else [])
        # The session callers configure (headers, mounted adapters); the thread that
        # made the client sends on it, every other thread on a copy of it.
        self.session = requests.Session()
        self.session.headers["User-Agent"] = config.user_agent
        self.session.headers["Accept"] = "application/json"
        self._owner: threading.Thread | None = threading.current_thread()
        self._local = threading.local()
        self._copies: list[requests.Session] = []
        self._stats_lock = threading.Lock()
        self._limiter = _limiter(config.rate_limit)
        self._pause = _Pause()
        self._gate = _Gate()
        # What a source learns once for the whole run and its branches share (which API
        # version a server speaks, a login): its own keys, guarded by its own locks.
        self.shared: dict[str, Any] = {}

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._stats_lock:
            copies, self._copies = self._copies, []
        for session in copies:
            session.close()
        if self._owner is not None:
            self.session.close()

    def mount(self, prefix: str, adapter: requests.adapters.BaseAdapter) -> None:
        self.session.mount(prefix, adapter)

    def branch(self) -> ApiClient:
        """A client for another thread of work on the same source, e.g. one stream.

        It shares this client's limiter, budget pause, configured session, run log and
        `shared` state, so every branch spends one budget; it counts its own `stats` and
        sends on sessions of its own. Close it (use `with`); closing it leaves this one
        open.
        """
        twin = copy.copy(self)
        twin.stats = ClientStats()
        twin._owner = None
        twin._local = threading.local()
        twin._copies = []
        twin._stats_lock = threading.Lock()
        return twin

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
            retry=retry_if_exception_type(_Transient),
            before_sleep=self._log_retry,
            sleep=self._sleep,
            reraise=True,
        )
        failure: _Transient | None = None
        try:
            return retrying(self._attempt, method, url, params, json_body, transient)
        except _Transient as exc:
            # Raised outside the handler so the original exception (whose text may carry
            # the URL and so a query-string token) is not chained onto ours.
            failure = exc
        raise RetriesExhaustedError(
            f"{self.config.source}: {method} {self._show(url)} still failing after "
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
        self._count(bytes_received=_wire_bytes(response))
        self._pace(response)
        if response.status_code == 429:
            self._count(throttled=1)
            # Every thread waits out the vendor's no, or each would earn its own 429.
            # (A wait past max_wait ends the run instead; see `_wait`.)
            hinted = self._retry_after(response) or 0.0
            if hinted <= self.config.retry.max_wait:
                self._pause.hold(hinted)
        if response.status_code >= 400 and self.config.classify_error:
            classified = self.config.classify_error(response, self.redactor)
            if classified is not None:
                raise classified
        if response.status_code in RETRY_STATUSES:
            raise _Transient(
                f"HTTP {response.status_code} {self._excerpt(response)}",
                retry_after=self._retry_after(response),
            )
        if response.status_code >= 400:
            raise self._error(response)
        if response.status_code == 204 or not response.content:
            return None
        try:
            body = decode_json(response.content)
        except ValueError:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise _Transient(
                f"HTTP {response.status_code} with a body that is not valid JSON "
                f"({len(response.content)} bytes, starts {self._excerpt(response, 60)})"
            ) from None
        reason = transient(body) if transient else None
        if reason:
            raise _Transient(f"HTTP {response.status_code} {self.redactor.redact(reason)}")
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
        self._count(requests=1)
        self.detail.debug(self.redactor.redact(f"{method} {url} {_without(params, credential)}"))
        error: str | None = None
        try:
            return self._thread_session().request(
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
        raise _Transient(error)

    def _thread_session(self) -> requests.Session:
        if threading.current_thread() is self._owner:
            return self.session
        session = getattr(self._local, "session", None)
        if session is None:
            session = _copy_session(self.session)
            self._local.session = session
            with self._stats_lock:
                self._copies.append(session)
        return session

    def _count(self, **amounts: float) -> None:
        with self._stats_lock:
            for name, amount in amounts.items():
                setattr(self.stats, name, getattr(self.stats, name) + amount)

    def _error(self, response: requests.Response) -> ApiError:
        status = response.status_code
        where = f"{response.request.method} {self._show(response.url)}"
        if status in (401, 403):
            return AuthenticationError(
                f"{self.config.source}: HTTP {status} on {where}: the credential was rejected "
                f"({self._excerpt(response)}). Check the token and its permissions.",
                status=status,
            )
        return ApiError(
            f"{self.config.source}: HTTP {status} on {where}: {self._excerpt(response)}",
            status=status,
        )

    def _retry_after(self, response: requests.Response) -> float | None:
        header = response.headers.get("Retry-After")
        if header:
            try:
                return max(0.0, float(header))
            except ValueError:
                try:
                    return max(0.0, parsedate_to_datetime(header).timestamp() - time.time())
                except (TypeError, ValueError):
                    pass
        return self._reset_seconds(response)

    def _reset_seconds(self, response: requests.Response) -> float | None:
        if not self.config.reset_header:
            return None
        try:
            return max(0.0, float(response.headers[self.config.reset_header]))
        except (KeyError, ValueError):
            return None

    def _pace(self, response: requests.Response) -> None:
        """Slow down before the vendor has to say no: wait out a nearly spent window.

        The thread that read the header sleeps until the window resets, and every other
        thread (and branch) of this client holds its next request until then too.
        """
        if not self.config.remaining_header or response.status_code == 429:
            return
        try:
            remaining = int(response.headers[self.config.remaining_header])
        except (KeyError, ValueError):
            return
        wait = self._reset_seconds(response)
        if remaining <= self.config.remaining_floor and wait:
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

    def _show(self, url: str) -> str:
        return self.redactor.redact(url)

    def _excerpt(self, response: requests.Response, limit: int = 200) -> str:
        text = response.text[:limit].strip().replace("\n", " ")
        return repr(self.redactor.redact(text))


def _wire_bytes(response: requests.Response) -> int:
    # The announced length is the bytes that crossed the wire; without one (chunked
    # transfer), the body as read is the nearest measure.
    announced = response.headers.get("Content-Length", "")
    return int(announced) if announced.isdigit() else len(response.content)


def decode_json(content: bytes) -> Any:
    """A JSON body, decoded by orjson (about three times faster than the standard
    library on the vendors' pages); what orjson refuses and the standard library
    reads (a lone surrogate escape, NaN) is read as before. Integers beyond 64 bits,
    which none of the vendors' APIs send, would come back as floats."""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)


class _Gate:
    """Whether a client's threads may send side by side.

    Until the source has answered a request, requests go one at a time, so a bad
    credential or a plan that refuses meets one request, not one per thread. After a
    429 they go one at a time for the rest of the run, each once the requests already
    under way are answered: a source that says no is not hit by every thread at once,
    and a block it imposes for repeated 429s meets one request. A fatal answer closes
    the gate to every other thread: none sends again, each raises that error. The
    thread that met it carries it up (and, alone, may go on).
    """

    def __init__(self) -> None:
        self._state = threading.Condition()
        self._single = threading.Lock()
        self._answered = False
        self._throttled = False
        self._under_way = 0
        self._fatal: ApiError | None = None
        # The thread itself, not its ident: a finished thread's ident is reused by the
        # next one started (a stream's read-ahead producer), which must not pass.
        self._met_by: threading.Thread | None = None

    @contextmanager
    def passage(self) -> Iterator[None]:
        if self._enter_side_by_side():
            yield from self._side_by_side()
            return
        with self._single:
            # The source may have answered while this thread waited its turn.
            alone = not self._enter_side_by_side()
            if alone:
                with self._state:
                    # Throttled: no request starts side by side any more, so this ends.
                    self._state.wait_for(lambda: self._under_way == 0)
                if self._fatal is not None and self._met_by is not threading.current_thread():
                    raise self._fatal
                yield
        if not alone:
            yield from self._side_by_side()

    def _enter_side_by_side(self) -> bool:
        with self._state:
            if self._answered and not self._throttled and self._fatal is None:
                self._under_way += 1
                return True
            return False

    def _side_by_side(self) -> Iterator[None]:
        try:
            yield
        finally:
            with self._state:
                self._under_way -= 1
                self._state.notify_all()

    def learn(self, status: int) -> None:
        with self._state:
            if status == 429:
                self._throttled = True
            elif status < 400:  # an error answer may yet prove fatal: no one may pass
                self._answered = True

    def close(self, error: ApiError) -> None:
        with self._state:
            if self._fatal is None:
                self._fatal, self._met_by = error, threading.current_thread()


class _Pause:
    """A moment before which no thread may send: the vendor said its window is spent."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until = 0.0

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, time.monotonic() + seconds)

    def remaining(self) -> float:
        with self._lock:
            return self._until - time.monotonic()


def _copy_session(template: requests.Session) -> requests.Session:
    """A new session with `template`'s headers and mounted transports (a demo's in-process
    adapter); the standard HTTP adapters stay the new session's own connection pools."""
    session = requests.Session()
    session.headers.update(template.headers)
    for prefix, adapter in template.adapters.items():
        if not isinstance(adapter, requests.adapters.HTTPAdapter):
            session.mount(prefix, adapter)
    return session


# The limiter counts when requests leave; the vendor counts when they arrive, and
# requests sent from several threads (on a busy machine, one process among many) do
# not all take the same time to get there. Each window is widened by this much so
# that spread never makes one more request land in the vendor's window than it allows.
ARRIVAL_SPREAD_SECONDS = 0.1


def _limiter(rate: RateLimit | None) -> Limiter | None:
    if rate is None:
        return None
    window = rate.per_seconds + ARRIVAL_SPREAD_SECONDS
    return Limiter(Rate(rate.requests, int(window * Duration.SECOND)))


def _without(params: Mapping[str, Any], credential: Credential | None) -> dict[str, Any]:
    hidden = credential.query_param if credential else None
    return {k: v for k, v in params.items() if k != hidden}
