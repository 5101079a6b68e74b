"""The emulators' HTTP/1.1 server: connections persist across requests, as the vendors'
do, every answer is framed so the next request is read where it starts, and stopping
ends the connections still open."""

from __future__ import annotations

import http.client
import io
import socket
import time
import xmlrpc.client
from collections.abc import Callable

import pytest
import requests
from werkzeug.wrappers import Request, Response

from crm_assets.core.emulation import EmulatorApp, serve
from crm_assets.sources.kommo.emulator import KommoEmulator
from crm_assets.sources.nectarcrm.emulator import NectarCrmEmulator
from crm_assets.sources.odoo.emulator import OdooEmulator
from crm_assets.sources.pipedrive.emulator import PipedriveEmulator

TOKEN = "keep-alive-token-3c81"


class Connections:
    """Serves `app` and notes the client port of each request: one port, one connection."""

    def __init__(self, app: EmulatorApp):
        self.app = app
        self.ports: list[int] = []

    def __call__(self, environ, start_response):
        self.ports.append(environ["REMOTE_PORT"])
        return self.app(environ, start_response)


def _nectarcrm(session: requests.Session, url: str) -> list[int]:
    api = f"{url}/crm/api/1/"
    own = {"Access-Token": TOKEN}
    return [
        session.get(f"{api}contatos", headers=own).status_code,
        session.get(f"{api}contatos", headers={"Access-Token": "wrong"}).status_code,
        # Refused before its body is read: the body must not be taken for the next request.
        session.post(f"{api}contatos", headers=own, data=b"x" * 50_000).status_code,
        session.get(f"{api}nowhere", headers=own).status_code,
        session.get(f"{api}contatos", params={"page": 2}, headers=own).status_code,
    ]


def _pipedrive(session: requests.Session, url: str) -> list[int]:
    own = {"x-api-token": TOKEN}
    return [
        session.get(f"{url}/api/v2/deals", headers=own).status_code,
        session.head(f"{url}/api/v2/deals", headers=own).status_code,
        session.get(f"{url}/api/v2/deals", headers={"x-api-token": "wrong"}).status_code,
        session.get(f"{url}/v1/deals", headers=own).status_code,  # retired: 410
        session.get(f"{url}/v1/dealFields", headers=own).status_code,
    ]


def _kommo(session: requests.Session, url: str) -> list[int]:
    own = {"Authorization": f"Bearer {TOKEN}"}
    return [
        session.get(f"{url}/api/v4/leads", headers=own).status_code,
        session.get(f"{url}/api/v4/leads", params={"page": 99}, headers=own).status_code,  # 204
        session.get(f"{url}/api/v4/leads", headers={"Authorization": "Bearer no"}).status_code,
        session.post(f"{url}/api/v4/leads", headers=own, json=[{"name": "x"}]).status_code,
        session.get(f"{url}/api/v4/account", headers=own).status_code,
    ]


def _odoo(session: requests.Session, url: str) -> list[int]:
    login = {"jsonrpc": "2.0", "method": "call", "id": 1,
             "params": {"service": "common", "method": "login",
                        "args": ["mutual", "admin", TOKEN]}}  # fmt: skip
    version = xmlrpc.client.dumps((), "version").encode()
    json2 = f"{url}/json/2/res.partner/search_count"
    return [
        session.get(f"{url}/web/version").status_code,
        session.post(f"{url}/jsonrpc", json=login).status_code,
        session.post(
            f"{url}/xmlrpc/2/common", data=version, headers={"Content-Type": "text/xml"}
        ).status_code,  # fmt: skip
        session.post(
            json2, json={"domain": []}, headers={"Authorization": "bearer no"}
        ).status_code,
        session.post(
            json2, json={"domain": []}, headers={"Authorization": f"bearer {TOKEN}"}
        ).status_code,  # fmt: skip
    ]


EMULATORS: dict[str, tuple[Callable[[], EmulatorApp], Callable, list[int]]] = {
    "nectarcrm": (
        lambda: NectarCrmEmulator(token=TOKEN, sizes={"contatos": 120}),
        _nectarcrm,
        [200, 401, 405, 404, 200],
    ),
    "pipedrive": (
        lambda: PipedriveEmulator(token=TOKEN, sizes={"deals": 50}, burst_limit=1_000),
        _pipedrive,
        [200, 200, 401, 410, 200],
    ),
    "kommo": (
        lambda: KommoEmulator(token=TOKEN, sizes={"leads": 60}, per_second=1_000),
        _kommo,
        [200, 204, 401, 405, 200],
    ),
    "odoo": (
        lambda: OdooEmulator(token=TOKEN, sizes={"account.payment": 10}),
        _odoo,
        [200, 200, 200, 401, 200],
    ),
}


@pytest.mark.parametrize("source", EMULATORS)
def test_a_session_sends_every_request_on_one_connection(source):
    make, requests_of, statuses = EMULATORS[source]
    app = Connections(make())
    with serve(app) as url, requests.Session() as session:
        assert requests_of(session, url) == statuses
    assert len(app.ports) == len(statuses) and len(set(app.ports)) == 1


class Echo(EmulatorApp):
    """Answers with the path and the body it read; `/fail` raises, `/quiet` reads nothing."""

    def handle(self, request: Request) -> Response:
        if request.path == "/fail":
            raise RuntimeError("a bug in the app")
        if request.path == "/none":
            return Response(status=204)
        body = b"" if request.path == "/quiet" else request.get_data()
        return Response(request.path.encode() + b":" + body, content_type="text/plain")


def _exchange(url: str, raw: bytes) -> bytes:
    """Send `raw` at once (requests pipelined), read until the server closes."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(raw)
        answer = b""
        while chunk := connection.recv(65_536):
            answer += chunk
    return answer


class _Received(io.BytesIO):
    """What the server sent, read answer after answer as a client reads its socket."""

    def makefile(self, mode: str) -> _Received:
        return self

    def close(self) -> None:
        pass


def _answers(received: bytes, methods: list[str]) -> list[tuple[int, dict[str, str], bytes]]:
    """Each answer's status, headers and body, framed as a client frames them; nothing
    may be left over."""
    stream, answers = _Received(received), []
    for method in methods:
        answer = http.client.HTTPResponse(stream, method=method)  # type: ignore[arg-type]
        answer.begin()
        answers.append((answer.status, dict(answer.getheaders()), answer.read()))
    assert stream.read() == b"", "more was sent than the answers framed"
    return answers


def test_pipelined_requests_are_each_answered_in_order():
    with serve(Echo()) as url:
        received = _exchange(
            url,
            b"POST /quiet HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nHELLO"
            b"HEAD /a HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /none HTTP/1.1\r\nHost: x\r\n\r\n"
            b"POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
            b"GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
    quiet, head, empty, chunked, last = _answers(received, ["POST", "HEAD", "GET", "POST", "GET"])
    # The body the app left unread was skipped, not read as the next request.
    assert quiet[::2] == (200, b"/quiet:")
    # HEAD announces the length a GET would have, and sends no body.
    assert head[0] == 200 and head[1]["Content-Length"] == "3" and head[2] == b""
    assert empty[0] == 204 and "Content-Length" not in empty[1]
    assert chunked[::2] == (200, b"/b:abc") and chunked[1]["Content-Length"] == "6"
    assert last[::2] == (200, b"/c:") and last[1]["Connection"] == "close"
    assert all("Connection" not in answer[1] for answer in (quiet, head, empty, chunked))


def test_a_failing_app_gets_a_500_and_the_connection_closes():
    with serve(Echo()) as url:
        received = _exchange(url, b"GET /fail HTTP/1.1\r\nHost: x\r\n\r\nGET /a HTTP/1.1\r\n\r\n")
    [(status, headers, _)] = _answers(received, ["GET"])
    assert status == 500 and headers["Connection"] == "close"


def test_an_http_1_0_client_gets_its_connection_closed():
    with serve(Echo()) as url:
        received = _exchange(url, b"GET /a HTTP/1.0\r\n\r\n")
    [(status, headers, body)] = _answers(received, ["GET"])
    assert (status, headers["Connection"], body) == (200, "close", b"/a:")


def test_stopping_is_quick_and_ends_idle_connections():
    session = requests.Session()
    with serve(Echo()) as url:
        assert session.get(f"{url}/a").text == "/a:"
        started = time.monotonic()
    assert time.monotonic() - started < 1
    # The pooled connection was closed by the server: the next request finds no one.
    with pytest.raises(requests.ConnectionError):
        session.get(f"{url}/a", timeout=2)
