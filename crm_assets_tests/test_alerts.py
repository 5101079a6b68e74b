"""The run-failure alert: real failing runs, a real HTTP receiver on loopback."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    asset,
    build_run_status_sensor_context,
    materialize,
)
from dagster._core.test_utils import create_run_for_test, instance_for_test

from crm_assets.alerts import ALERTS_KEY, AlertWebhook, failure_alert_sensor
from crm_assets.core.runtime.worker import GONE, WORKER_TAG, parse, this_process
from crm_assets.core.warehouse import Warehouse
from crm_assets.definitions import SOURCES, build_definitions
from crm_assets_tests.sources.pipedrive.conftest import harness as pipedrive_harness

BAD_TOKEN = "pipedrive-bad-token-77c1a9"
HOOK_SECRET = "T000/B000/hook-secret-41f2"
PASSWORD = "warehouse-pw-0c3e"
SECRET_VARIABLES = [s.resource.SECRET_VARIABLE for s in SOURCES]


class Receiver:
    """An HTTP server on 127.0.0.1 that records the JSON bodies POSTed to it."""

    def __init__(self, status: int = 200):
        self.posts: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the http.server hook name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append({"path": self.path, "json": json.loads(body)})
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/{HOOK_SECRET}"


@contextmanager
def receiving(status: int = 200) -> Iterator[Receiver]:
    receiver = Receiver(status)
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def evaluate(result, instance, webhook: AlertWebhook, log: logging.Handler, sensor=None) -> None:
    """The failure alert's tick on `result`'s failure: `sensor`, by default one built
    here for the test's secret variables."""
    [failure] = [e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE"]
    context = build_run_status_sensor_context(
        sensor_name="crm_run_failure_alert",
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id),
        resources={ALERTS_KEY: webhook},
    ).for_run_failure()
    context.log.addHandler(log)  # the sensor's own logger, shown on its tick in the UI
    (sensor or failure_alert_sensor(SECRET_VARIABLES))(context)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Captured(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def log() -> Captured:
    return Captured()


@pytest.fixture
def pipedrive():
    with contextmanager(pipedrive_harness)() as running:
        yield running


def test_a_failed_sync_is_posted_with_a_link_and_no_token(pipedrive, sqlite_warehouse, log):
    failed = pipedrive.run(
        sqlite_warehouse, streams=["users"], api_token=BAD_TOKEN, raise_on_error=False
    )
    assert not failed.success
    assert pipedrive.emulator.requests, "the bad token reached the vendor, in its query string"
    with receiving() as receiver:
        webhook = AlertWebhook(url=receiver.url, webserver_url="http://dagster.example:3000/")
        evaluate(failed, pipedrive.instance, webhook, log)

    [post] = receiver.posts
    message = post["json"]
    link = f"http://dagster.example:3000/runs/{failed.run_id}"
    assert message["run_id"] == failed.run_id and message["link"] == link
    assert message["job"] == "__ephemeral_asset_job__" and message["partition"] == "2026-11-20"
    # What a chat tool shows alone: what failed and why in one sentence, then the link.
    reason, shown_link = message["text"].split("\n")
    assert reason.startswith(
        "Dagster run of __ephemeral_asset_job__ (partition 2026-11-20) failed: Pipedrive "
        "rejected the API token"
    )
    assert reason.endswith(message["error"].splitlines()[0].removeprefix("pipedrive_streams: "))
    assert shown_link == link
    # Our sentence, not Dagster's class path around it.
    assert message["error"].startswith("pipedrive_streams: Pipedrive rejected the API token")
    assert "PIPEDRIVE_API_TOKEN" in message["error"], "the alert says what to fix"
    failed_at = datetime.fromisoformat(message["failed_at"])
    assert abs(datetime.now(UTC) - failed_at) < timedelta(minutes=5)

    log = log.text
    assert link in log and "Pipedrive rejected the API token" in log
    for text in (json.dumps(message), log):
        assert BAD_TOKEN not in text
        assert HOOK_SECRET not in text, "the webhook URL is a credential too"


def test_an_error_quoting_a_secret_from_the_environment_is_masked(monkeypatch, log):
    secret = "nectar-secret-in-an-error-93d0"
    monkeypatch.setenv("NECTARCRM_API_TOKEN", secret)

    @asset
    def careless():
        raise RuntimeError(f"the request with token={secret} failed")

    with DagsterInstance.ephemeral() as instance, receiving() as receiver:
        failed = materialize([careless], instance=instance, raise_on_error=False)
        evaluate(failed, instance, AlertWebhook(url=receiver.url), log)
    [post] = receiver.posts
    assert "the request with token=*** failed" in post["json"]["error"]
    assert post["json"]["text"].startswith(
        "Dagster run of __ephemeral_asset_job__ failed: RuntimeError: the request with "
        "token=*** failed"
    )
    assert secret not in json.dumps(post["json"]) and secret not in log.text


def test_without_a_webhook_the_failure_is_logged_with_its_link(log):
    @asset
    def broken():
        raise RuntimeError("boom")

    with DagsterInstance.ephemeral() as instance:
        failed = materialize([broken], instance=instance, raise_on_error=False)
        evaluate(failed, instance, AlertWebhook(), log)
    assert f"http://127.0.0.1:3000/runs/{failed.run_id}" in log.text
    assert "RuntimeError: boom" in log.text


def test_a_webhook_that_refuses_is_logged_without_its_url(log):
    @asset
    def broken():
        raise RuntimeError("boom")

    with DagsterInstance.ephemeral() as instance, receiving(status=500) as receiver:
        failed = materialize([broken], instance=instance, raise_on_error=False)
        evaluate(failed, instance, AlertWebhook(url=receiver.url), log)
    assert len(receiver.posts) == 1
    assert "CRM_ALERT_WEBHOOK_URL) answered HTTP 500" in log.text
    assert HOOK_SECRET not in log.text


def test_the_webhook_url_is_bound_from_the_environment_and_never_shown(monkeypatch):
    url = f"https://hooks.example.com/services/{HOOK_SECRET}"
    monkeypatch.setenv("CRM_ALERT_WEBHOOK_URL", url)
    monkeypatch.setenv("DAGSTER_WEBSERVER_URL", "https://dagster.example.com")
    webhook = AlertWebhook.from_env()
    shown = repr(webhook.get_resource_definition().config_schema.default_value)
    assert "CRM_ALERT_WEBHOOK_URL" in shown and HOOK_SECRET not in shown
    sensor = build_definitions().resolve_sensor_def("crm_run_failure_alert")
    assert sensor.default_status.value == "RUNNING"
    assert {ALERTS_KEY} <= set(sensor.required_resource_keys)


def test_a_run_that_fails_in_resource_setup_says_why_in_the_text(pipedrive, tmp_path, log):
    """No step ran, so the reason is the run failure's own: the warehouse's sentence,
    not Dagster's "An exception was thrown during execution"."""
    warehouse = Warehouse(url=f"postgresql+psycopg://crm:{PASSWORD}@127.0.0.1:{free_port()}/dw")
    failed = pipedrive.run(warehouse, streams=["users"], raise_on_error=False)
    assert not failed.success
    with receiving() as receiver:
        evaluate(failed, pipedrive.instance, AlertWebhook(url=receiver.url), log)
    [post] = receiver.posts
    reason = post["json"]["text"].split("\n")[0]
    assert reason.startswith(
        "Dagster run of __ephemeral_asset_job__ (partition 2026-11-20) failed: "
    )
    assert reason.endswith(
        "start the server there, or change the host and port in CRM_WAREHOUSE_URL."
    )
    assert "The PostgreSQL warehouse at 127.0.0.1:" in reason
    assert PASSWORD not in json.dumps(post["json"]) + log.text


def test_the_text_keeps_to_one_line_of_a_long_error(log):
    @asset
    def verbose():
        raise RuntimeError("x" * 2000 + "\nsecond line")

    with DagsterInstance.ephemeral() as instance, receiving() as receiver:
        failed = materialize([verbose], instance=instance, raise_on_error=False)
        evaluate(failed, instance, AlertWebhook(url=receiver.url), log)
    reason, link = receiver.posts[0]["json"]["text"].split("\n")
    assert len(reason) < 400 and reason.endswith("…") and "second line" not in reason
    assert link.endswith(f"/runs/{failed.run_id}")


def test_a_run_whose_killed_worker_was_failed_by_dagster_gets_its_account(sqlite_warehouse, log):
    """What Dagster's code server does when a launched run's worker dies by SIGKILL: an
    engine event naming the signal, then the run failed with a message of its own."""
    with instance_for_test() as instance, receiving() as receiver:
        run = create_run_for_test(
            instance, job_name="pipedrive_sync", status=DagsterRunStatus.STARTED
        )
        child = subprocess.Popen([sys.executable, "-c", "pass"])
        child.wait()
        host, _, started = parse(this_process())
        instance.add_run_tags(
            run.run_id, {WORKER_TAG: f"host={host} pid={child.pid} started={started}"}
        )
        instance.report_engine_event(
            f"Run execution process for {run.run_id} was terminated by signal 9 (SIGKILL).", run
        )
        instance.report_run_failed(instance.get_run_by_id(run.run_id))
        [failure] = instance.all_logs(run.run_id, of_type=DagsterEventType.RUN_FAILURE)
        context = build_run_status_sensor_context(
            sensor_name="crm_run_failure_alert",
            dagster_event=failure.dagster_event,
            dagster_instance=instance,
            dagster_run=instance.get_run_by_id(run.run_id),
            resources={ALERTS_KEY: AlertWebhook(url=receiver.url)},
        ).for_run_failure()
        context.log.addHandler(log)
        for _ in range(2):  # a second evaluation writes no second account
            failure_alert_sensor(SECRET_VARIABLES)(context)

        accounts = [
            e.message
            for e in instance.all_logs(run.run_id, of_type=DagsterEventType.ENGINE_EVENT)
            if e.message.startswith(GONE)
        ]
    assert len(accounts) == 1
    assert accounts[0].startswith(
        f"{GONE} (pid {child.pid} on {host}) is gone, found by the failure alert"
    )
    assert "It was terminated by signal 9 (SIGKILL)." in accounts[0]
    assert "Nothing had been materialized by then." in accounts[0]
    reason = receiver.posts[0]["json"]["text"].split("\n")[0]
    # The account, cut to the text's length: the process, when, and the signal are in it.
    assert reason.endswith("…")
    assert f"Dagster run of pipedrive_sync failed: {accounts[0]}".startswith(reason[:-1])
    assert "It was terminated by signal 9 (SIGKILL)." in reason
    assert "marked as failed from outside" not in reason
