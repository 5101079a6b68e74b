"""What every vendor emulator shares: a request log, fault knobs and two transports.

An emulator is a WSGI app faithful to its vendor (README, "Layout"). Tests and benchmarks serve it
on a loopback socket with `serve`; demo mode calls it in-process through
`WSGIAdapter`, mounted on a `requests.Session`, so both paths go through the same
HTTP client as the real vendor would.
"""

from __future__ import annotations

import io
import math
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

import requests
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from werkzeug.wrappers import Request, Response

from crm_assets.core.serving import EmulatorServer

WSGIEnviron = dict[str, Any]
# The status logged for a request whose connection was dropped without an answer.
DROPPED = 0
StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class RecordedRequest:
    """One request the emulator answered, with the status it answered."""

    method: str
    path: str
    args: dict[str, list[str]]
    status: int


@dataclass
class AbuseBlock:
    """A vendor's answer to a client that keeps going past its limit: more than
    `threshold` 429s within `window` seconds block it for `block_seconds` (a 403)."""

    threshold: int
    window: float
    block_seconds: float
    rejections: deque[float] = field(default_factory=deque)
    blocked_until: float = -math.inf

    def blocked(self, now: float) -> bool:
        return now < self.blocked_until

    def rejected(self, now: float) -> None:
        """Note a 429 answered at `now`; one too many inside the window starts a block."""
        self.rejections.append(now)
        while self.rejections and now - self.rejections[0] > self.window:
            self.rejections.popleft()
        if len(self.rejections) > self.threshold:
            self.blocked_until = now + self.block_seconds
            self.rejections.clear()


@dataclass
class _Fault:
    remaining: int
    path_prefix: str | None
    delay: float = 0.0
    # None means "answer normally after the delay" (a stall).
    status: int | None = None
    retry_after: float | None = None
    body: str = ""
    content_type: str = "text/plain"
    # Close the connection without an answer, as a peer resetting it would.
    drop: bool = False

    def matches(self, path: str) -> bool:
        return self.path_prefix is None or path.startswith(self.path_prefix)

    def response(self) -> Response:
        response = Response(self.body, status=self.status, content_type=self.content_type)
        if self.retry_after is not None:
            response.headers["Retry-After"] = f"{self.retry_after:g}"
        return response


class EmulatorApp:
    """Base WSGI app: logs each request, then serves a queued fault or `handle`.

    Subclasses implement `handle(request) -> Response`, and `arrive` where the vendor
    refuses requests as they arrive (a rate budget). Both run under `self.lock`
    (re-entrant, also for a subclass's admin methods), so the subclass's data needs
    no locking of its own; latency and stalls sleep outside it, so a stalled
    request does not hold up the next one.
    """

    def __init__(self, *, latency: float = 0.0):
        self.latency = latency
        self.lock = threading.RLock()
        self.requests: list[RecordedRequest] = []
        # Requests being served now, and the most served at once since the log was reset:
        # whether a client's requests really overlap, without timing them.
        self.in_flight = 0
        self.most_in_flight = 0
        self._faults: list[_Fault] = []

    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def arrive(self, request: Request) -> Response | None:
        """What the vendor's edge decides as a request arrives, before the request's
        latency: a refusal to answer (a 429, a block page), or None to serve it.

        Vendors count a rate budget as requests arrive; counting them after the latency
        and behind the requests being served would move a request into a later window
        than the one it arrived in."""
        return None

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            return self._serve(environ, start_response)
        finally:
            with self.lock:
                self.in_flight -= 1

    def _serve(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        with self.lock:
            refused = self.arrive(request)
        if self.latency:
            time.sleep(self.latency)
        fault = self._next_fault(request.path) if refused is None else None
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.drop:
            self._record(request, DROPPED)
            _drop_connection(environ)
        if refused is not None:
            response = refused
        elif fault is not None and fault.status is not None:
            response = fault.response()
        else:
            with self.lock:
                response = self.handle(request)
        self._record(request, response.status_code)
        return response(environ, start_response)

    def _record(self, request: Request, status: int) -> None:
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            args=request.args.to_dict(flat=False),
            status=status,
        )
        with self.lock:
            self.requests.append(recorded)

    # -- request log ---------------------------------------------------------------

    def count(self, path_prefix: str | None = None) -> int:
        """Requests answered so far, optionally only those whose path starts with a prefix."""
        with self.lock:
            return sum(
                1 for r in self.requests if path_prefix is None or r.path.startswith(path_prefix)
            )

    def reset_log(self) -> None:
        """Forget the requests answered so far (and the most served at once)."""
        with self.lock:
            self.requests.clear()
            self.most_in_flight = self.in_flight

    # -- faults -------------------------------------------------------------------

    def inject(
        self,
        status: int,
        times: int = 1,
        *,
        retry_after: float | None = None,
        body: str = "",
        content_type: str = "text/plain",
        path_prefix: str | None = None,
    ) -> None:
        """Answer the next `times` requests (under `path_prefix`, if given) with `status`.

        Faults queue up and are consumed first in, first out: a request takes the
        oldest queued fault whose prefix matches its path.
        """
        self._queue(
            _Fault(
                remaining=times,
                path_prefix=path_prefix,
                status=status,
                retry_after=retry_after,
                body=body,
                content_type=content_type,
            )
        )

    def stall(self, seconds: float, times: int = 1, *, path_prefix: str | None = None) -> None:
        """Sleep `seconds` before answering the next `times` requests, then answer normally.

        Served over a socket this exercises a client's read timeout; the late answer
        goes to a client that has already given up.
        """
        self._queue(_Fault(remaining=times, path_prefix=path_prefix, delay=seconds))

    def drop(self, times: int = 1, *, path_prefix: str | None = None) -> None:
        """Close the connection of the next `times` requests without answering them.

        The request is logged with status `DROPPED`. Over a socket the client sees the
        peer hang up mid-request; in-process, the transport raises the
        `requests.ConnectionError` a dropped socket would have caused.
        """
        self._queue(_Fault(remaining=times, path_prefix=path_prefix, drop=True))

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    def _queue(self, fault: _Fault) -> None:
        if fault.remaining < 1:
            raise ValueError(f"times must be at least 1, not {fault.remaining}")
        with self.lock:
            self._faults.append(fault)

    def _next_fault(self, path: str) -> _Fault | None:
        with self.lock:
            for fault in self._faults:
                if fault.matches(path):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None


def _drop_connection(environ: WSGIEnviron) -> None:
    connection = environ.get("werkzeug.socket")
    if connection is None:
        raise requests.ConnectionError("the emulator dropped the connection without an answer")
    connection.shutdown(socket.SHUT_RDWR)
    # The server's attempt to write an answer now fails quietly (a ConnectionError it
    # expects from clients that hang up); nothing reaches the client.
    raise ConnectionAbortedError("dropped by a fault knob")


# -- a loopback server -------------------------------------------------------------


@contextmanager
def serve(app: Callable[[WSGIEnviron, StartResponse], Iterable[bytes]]) -> Iterator[str]:
    """Serve `app` on a free loopback port in a daemon thread; yield its base URL.

    The URL has no trailing slash: `http://127.0.0.1:<port>`. Connections persist
    across requests, as the vendors' do (`serving.py`); the server, and every
    connection still open, is shut down when the block exits.
    """
    server = EmulatorServer(app)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


# -- an in-process transport ---------------------------------------------------------


class WSGIAdapter(requests.adapters.BaseAdapter):
    """A `requests` transport that calls a WSGI app in-process, with no socket.

    Mount it for a URL prefix: `session.mount("http://x.demo.invalid/", WSGIAdapter(app))`.
    The whole body is read before returning, whatever `stream` says, and `timeout`
    is ignored: there is no network to wait on. An exception in the app propagates
    (a socket server would turn it into a 500 and hide the bug).
    """

    def __init__(self, app: Callable[[WSGIEnviron, StartResponse], Iterable[bytes]]):
        super().__init__()
        self.app = app

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        captured: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None  # the legacy write() callable; our apps never use it

        chunks = self.app(_environ(request), start_response)
        try:
            content = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        return _response(request, captured["status"], captured["headers"], content, self)

    def close(self) -> None:
        pass


def _environ(request: requests.PreparedRequest) -> WSGIEnviron:
    url = urlsplit(request.url or "")
    scheme = url.scheme or "http"
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    elif not isinstance(body, bytes):  # a generator or file-like body
        body = body.read() if hasattr(body, "read") else b"".join(body)
    environ: WSGIEnviron = {
        "REQUEST_METHOD": (request.method or "GET").upper(),
        "SCRIPT_NAME": "",
        # WSGI carries the percent-decoded path as latin-1 characters (PEP 3333).
        "PATH_INFO": unquote_to_bytes(url.path or "/").decode("latin-1"),
        "QUERY_STRING": url.query,
        "REQUEST_URI": (url.path or "/") + (f"?{url.query}" if url.query else ""),
        "SERVER_NAME": url.hostname or "localhost",
        "SERVER_PORT": str(url.port or (443 if scheme == "https" else 80)),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": url.netloc,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in request.headers.items():
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if key == "CONTENT_TYPE":
                environ[key] = value
            continue
        environ[f"HTTP_{key}"] = value
    return environ


def _response(
    request: requests.PreparedRequest,
    status: str,
    headers: list[tuple[str, str]],
    content: bytes,
    adapter: WSGIAdapter,
) -> requests.Response:
    response = requests.Response()
    code, _, reason = status.partition(" ")
    response.status_code = int(code)
    response.reason = reason
    merged: CaseInsensitiveDict[str] = CaseInsensitiveDict()
    for name, value in headers:
        merged[name] = f"{merged[name]}, {value}" if name in merged else value
    response.headers = merged
    response._content = content
    response._content_consumed = True
    response.raw = io.BytesIO(content)
    response.url = request.url or ""
    response.request = request
    response.encoding = get_encoding_from_headers(merged)
    response.connection = adapter
    return response
