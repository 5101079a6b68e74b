"""An HTTP/1.1 server for the emulators, whose connections persist as the vendors' do.

The vendors' servers keep a connection open for the next request, and a client's
connection pool behaves differently when they do: a request goes out on a socket
that served the one before, and a dropped connection is a reused one. werkzeug's
development server closes every connection after one answer (it sends `Connection:
close`, and discards whatever the client sends next, which on a kept-alive connection
would be the next request). `KeepAliveHandler` answers each request with a
`Content-Length` (no body at all for HEAD, 1xx, 204 and 304), skips exactly the part
of the request body the app left unread, and keeps the connection unless the client
asks to close it (`Connection: close`, or HTTP/1.0 without `keep-alive`) or the app
failed. `EmulatorServer` shuts down the connections still open when it stops, so a
client holding an idle one sees the server go, and stopping stays quick however many
idle connections clients keep.
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# Headers the server owns: it frames every answer itself.
FRAMING = {"content-length", "transfer-encoding", "connection", "keep-alive"}
FAILED = "500 INTERNAL SERVER ERROR", [("Content-Type", "text/plain; charset=utf-8")]


class EmulatorServer(ThreadedWSGIServer):
    """Serves `app` on `host:port` (port 0: a free one, then in `port`), one thread per
    connection, from `start` until `stop`. `url` is its base URL, without a trailing slash.
    """

    def __init__(self, app: WSGIApp, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port, app, handler=KeepAliveHandler)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, poll_interval: float = 0.05) -> None:
        """Accept connections in a daemon thread. A short poll interval makes `stop`
        quick; tests start many servers."""
        self._thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": poll_interval},
            daemon=True,
            name=f"emulator:{self.port}",
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, then end every open connection: an idle one's client sees it
        close; a request still being answered (a stall) gets no answer."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout=5)
        self.server_close()
        with self._open_lock:
            still_open = list(self._open)
        for connection in still_open:
            # OSError: the client closed it meanwhile.
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    # socketserver calls these in the accepting thread, and when a connection's thread ends.
    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)


class KeepAliveHandler(WSGIRequestHandler):
    """One connection: request after request until the client or a failure closes it.
    Writes no access-log line per request (tests and benchmarks make thousands)."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, the body would wait
    # for the client to acknowledge the headers, 40 ms on a kept-alive connection.
    disable_nagle_algorithm = True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.environ = environ = self.make_environ()
        body = RequestBody(environ["wsgi.input"], self._body_length(environ))
        environ["wsgi.input"], environ["wsgi.input_terminated"] = body, True
        try:
            status, headers, content = _call(self.server.app, environ)
            body.skip_rest()
        except ConnectionError:
            # A fault knob dropped the connection, or the client went away.
            self.close_connection = True
            return
        except Exception:
            self.log_error("Error on request:\n%s", traceback.format_exc())
            (status, headers), content = FAILED, b"Internal Server Error"
            self.close_connection = True
        self._answer(environ["REQUEST_METHOD"], status, headers, content)

    def _body_length(self, environ: dict[str, Any]) -> int | None:
        """The request body's length; None for a chunked one (read to its last chunk)."""
        if environ.get("wsgi.input_terminated"):
            return None
        try:
            return max(0, int(environ.get("CONTENT_LENGTH") or 0))
        except ValueError:
            # No way to tell where the next request starts: answer, then close.
            self.close_connection = True
            return 0

    def _answer(self, method: str, status: str, headers: list, content: bytes) -> None:
        code, _, reason = status.partition(" ")
        bodiless = method == "HEAD" or int(code) < 200 or int(code) in (204, 304)
        self.send_response(int(code), reason)
        for name, value in headers:
            # A HEAD answer announces the length a GET would have; the app knows it.
            if name.lower() not in FRAMING or (
                method == "HEAD" and name.lower() == "content-length"
            ):
                self.send_header(name, value)
        if not bodiless:
            self.send_header("Content-Length", str(len(content)))
        if self.close_connection:
            self.send_header("Connection", "close")
        elif self.request_version == "HTTP/1.0":
            self.send_header("Connection", "keep-alive")
        self.end_headers()
        if not bodiless:
            self.wfile.write(content)


class RequestBody(io.RawIOBase):
    """The request's body and nothing past it, so the app cannot read into the next
    request; `skip_rest` reads what the app left, so the next request starts where it should.
    `length` None reads `stream` (a dechunked body) to its end."""

    def __init__(self, stream: Any, length: int | None):
        super().__init__()
        self._stream = stream
        self._left = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        wanted = len(buffer) if self._left is None else min(len(buffer), self._left)
        data = self._stream.read(wanted) if wanted else b""
        buffer[: len(data)] = data
        if self._left is not None:
            self._left = self._left - len(data) if data else 0
        return len(data)

    def skip_rest(self) -> None:
        while self.read(65_536):
            pass


def _call(app: WSGIApp, environ: dict[str, Any]) -> tuple[str, list, bytes]:
    """The app's status, headers and whole body: every answer is framed by its length."""
    started: dict[str, Any] = {}
    written: list[bytes] = []

    def start_response(status: str, headers: list, exc_info: Any = None) -> Callable:
        started["status"], started["headers"] = status, headers
        return written.append  # the legacy write() callable

    chunks = app(environ, start_response)
    try:
        written.extend(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return started["status"], started["headers"], b"".join(written)
