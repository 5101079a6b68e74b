"""`python -m crm_assets.emulators` as its users run it: a process per source, reached with
plain `requests` and the clients the README shows, stopped by a signal."""

from __future__ import annotations

import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import odoorpc
import pytest
import requests
from pipedrive.client import Client

import crm_assets
from crm_assets.core.emulation import serve
from crm_assets.emulators.__main__ import main
from crm_assets.emulators.options import parse
from crm_assets.emulators.sandboxes import SANDBOXES
from crm_assets.sources.kommo.emulator import KommoEmulator
from crm_assets.sources.nectarcrm.emulator import NectarCrmEmulator

ROOT = Path(crm_assets.__file__).parent.parent
TOKEN = "sandbox-token-7e21c4"
SERVING = re.compile(r"serving (\w+) on (http://127\.0\.0\.1:(\d+))$")
STARTUP_SECONDS = 90  # importing the package loads Dagster: seconds on a busy machine


class Sandbox:
    """One `python -m crm_assets.emulators` process, read line by line as it prints."""

    def __init__(self, *args: str):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "crm_assets.emulators", *args],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        match = SERVING.match(self._next_line())
        assert match, "the first line names the source and its URL"
        self.source, self.url, self.port = match.group(1), match.group(2), int(match.group(3))
        self.guide: dict[str, str] = {}
        while (line := self._next_line()) != "Ctrl-C stops it.":
            label, _, text = line.strip().partition(":")
            self.guide[label] = text.strip()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def _next_line(self) -> str:
        line = self._lines.get(timeout=STARTUP_SECONDS)
        assert line is not None, f"the sandbox ended: {self.process.communicate()[1]}"
        return line

    def stop(self, number: int) -> tuple[int, str]:
        """Send signal `number`; the exit status and what the process wrote to stderr."""
        self.process.send_signal(number)
        _, errors = self.process.communicate(timeout=30)
        return self.process.returncode, errors


@contextmanager
def sandbox(*args: str) -> Iterator[Sandbox]:
    running = Sandbox(*args)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.process.kill()
            running.process.communicate()


def assert_stops_cleanly(running: Sandbox, number: int) -> None:
    status, errors = running.stop(number)
    assert status == 0 and "Traceback" not in errors, errors
    with pytest.raises(requests.ConnectionError):
        requests.get(running.url, timeout=2)


def test_help_names_every_option(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    shown = capsys.readouterr().out
    for option in ("--host", "--port", "--token", "--latency-ms", "--no-rate-limit",
                   "--scale", "--seed", "--version", "--database", "--login"):  # fmt: skip
        assert option in shown
    assert all(source in shown for source in SANDBOXES)


@pytest.mark.parametrize(
    ("argv", "refusal"),
    [
        (["pipedrive", "--version", "17"], "--version: only for odoo"),
        (["nectarcrm", "--database", "x", "--login", "y"], "--database, --login: only for odoo"),
        (["kommo", "--seed", "3"], "--seed: kommo"),
        (["odoo", "--version", "16"], "invalid choice: 16"),
        (["odoo", "--port", "70000"], "70000 is not a port"),
        (["odoo", "--scale", "0"], "0 is not above 0"),
    ],
)
def test_an_option_the_source_cannot_honour_is_refused(argv, refusal, capsys):
    with pytest.raises(SystemExit) as exited:
        parse(argv)
    assert exited.value.code == 2 and refusal in capsys.readouterr().err


def test_nectarcrm_with_a_token_a_seed_a_scale_and_latency():
    with sandbox("nectarcrm", "--port", "0", "--token", TOKEN, "--seed", "3", "--scale", "0.02",
                 "--latency-ms", "300") as running:  # fmt: skip
        assert running.source == "nectarcrm" and running.port > 0
        api = running.guide["base URL"]
        assert api == f"{running.url}/crm/api/1/" and TOKEN in running.guide["token"]
        started = time.monotonic()
        served = requests.get(f"{api}contatos", params={"page": -1},
                              headers={"Access-Token": TOKEN}, timeout=10)  # fmt: skip
        assert time.monotonic() - started >= 0.3
        assert served.status_code == 200
        same = NectarCrmEmulator(seed=3, scale=0.02).records("contatos")
        other_seed = NectarCrmEmulator(seed=4, scale=0.02).records("contatos")
        names = [(r["id"], r["nome"]) for r in served.json()]
        assert (
            names
            == [(r["id"], r["nome"]) for r in same]
            != [(r["id"], r["nome"]) for r in other_seed]
        )
        refused = requests.get(f"{api}contatos", params={"api_token": "wrong"}, timeout=10)
        assert (refused.status_code, refused.text) == (401, "Invalid token")
        assert_stops_cleanly(running, signal.SIGINT)


def test_pipedrive_without_its_rate_limit_answers_pipedrive_python_lib():
    with sandbox("pipedrive", "--token", TOKEN, "--no-rate-limit", "--scale", "0.01") as running:
        assert running.guide["rate limit"] == "none (--no-rate-limit)"
        with requests.Session() as session:
            session.headers["x-api-token"] = TOKEN
            # Pipedrive's own limit is 20 requests per 2 seconds.
            statuses = {session.get(f"{running.url}/api/v2/deals", timeout=10).status_code
                        for _ in range(30)}  # fmt: skip
        assert statuses == {200}
        refused = requests.get(f"{running.url}/api/v2/deals", params={"api_token": "x"}, timeout=10)
        assert refused.status_code == 401 and refused.json()["error"] == "unauthorized access"
        client = Client(domain=running.url)
        client.set_api_token(TOKEN)
        assert client.users.get_all_users()["success"] is True
        assert_stops_cleanly(running, signal.SIGTERM)


def test_kommo_on_a_given_port_keeps_the_vendors_rate_limit():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with sandbox("kommo", "--port", str(port), "--token", TOKEN, "--scale", "0.01") as running:
        assert running.port == port and "7 requests per second" in running.guide["rate limit"]
        api, bearer = running.guide["base URL"], {"Authorization": f"Bearer {TOKEN}"}
        leads = requests.get(f"{api}leads", params={"limit": 250}, headers=bearer, timeout=10)
        expected = KommoEmulator(scale=0.01).records("leads")
        assert [lead["id"] for lead in leads.json()["_embedded"]["leads"]] == [
            lead["id"] for lead in expected
        ]
        wrong = requests.get(f"{api}leads", headers={"Authorization": "Bearer x"}, timeout=10)
        assert wrong.status_code == 401 and wrong.json()["title"] == "Unauthorized"
        with requests.Session() as session:
            statuses = [session.get(f"{api}account", headers=bearer, timeout=10).status_code
                        for _ in range(10)]  # fmt: skip
        assert 200 in statuses and 429 in statuses
        assert_stops_cleanly(running, signal.SIGINT)


def _jsonrpc(url: str, service: str, method: str, *args) -> Any:
    payload = {"jsonrpc": "2.0", "method": "call", "id": 1,
               "params": {"service": service, "method": method, "args": list(args)}}  # fmt: skip
    return requests.post(f"{url}/jsonrpc", json=payload, timeout=10).json()["result"]


def test_odoo_17_with_its_own_database_and_login_has_no_json_2():
    with sandbox("odoo", "--version", "17", "--database", "acme", "--login", "ana",
                 "--token", TOKEN) as running:  # fmt: skip
        url = running.url
        assert _jsonrpc(url, "common", "version")["server_version"] == "17.0"
        assert (running.guide["database"], running.guide["login"]) == ("acme", "ana")
        json2 = requests.post(f"{url}/json/2/res.partner/search_count", json={"domain": []},
                              headers={"Authorization": f"bearer {TOKEN}"}, timeout=10)  # fmt: skip
        assert json2.status_code == 404
        assert _jsonrpc(url, "common", "authenticate", "acme", "ana", TOKEN, {}) == 2
        assert _jsonrpc(url, "common", "authenticate", "acme", "ana", "wrong", {}) is False
        assert _jsonrpc(url, "common", "authenticate", "acme", "admin", TOKEN, {}) is False
        assert _jsonrpc(url, "db", "list") == ["acme"]
        password = running.guide["password"].split(",")[0]
        web = {"jsonrpc": "2.0", "params": {"db": "acme", "login": "ana", "password": password}}
        session = requests.post(f"{url}/web/session/authenticate", json=web, timeout=10)
        assert session.json()["result"]["uid"] == 2
        assert_stops_cleanly(running, signal.SIGINT)


def test_odoo_19_answers_json_2_and_odoorpc():
    with sandbox("odoo", "--token", TOKEN) as running:
        url = running.url
        assert requests.get(f"{url}/web/version", timeout=10).json()["version"] == "19.0"
        count = f"{url}/json/2/res.partner/search_count"
        own = {"Authorization": f"bearer {TOKEN}"}
        assert isinstance(
            requests.post(count, json={"domain": []}, headers=own, timeout=10).json(), int
        )
        wrong = requests.post(count, json={}, headers={"Authorization": "bearer x"}, timeout=10)
        assert wrong.status_code == 401 and wrong.json()["message"] == "Invalid apikey"
        odoo = odoorpc.ODOO("127.0.0.1", port=running.port)
        odoo.login("mutual", "admin", TOKEN)
        assert odoo.env["res.partner"].search_count([]) > 0
        assert_stops_cleanly(running, signal.SIGTERM)


def test_odoo_18_as_the_command_line_builds_it_has_no_json_2():
    app = SANDBOXES["odoo"].build(parse(["odoo", "--version", "18", "--scale", "0.01"]))
    with serve(app) as url:
        assert _jsonrpc(url, "common", "version")["server_version"] == "18.0"
        json2 = requests.post(f"{url}/json/2/res.partner/search_count", json={},
                              headers={"Authorization": f"bearer {app.token}"}, timeout=10)  # fmt: skip
        assert json2.status_code == 404
        assert _jsonrpc(url, "common", "authenticate", "mutual", "admin", app.token, {}) == 2
