"""End to end through the real webserver and daemon, as a user of the UI drives them.

`dagster-webserver` and `dagster-daemon` run on the demo with the default profile in
a temporary DAGSTER_HOME; the test launches a materialization of two streams for one
partition through the GraphQL API, as the UI's Materialize does, and polls it there.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

from crm_assets.core.warehouse import Warehouse
from crm_assets_tests.deploy.conftest import (
    ROOT,
    dagster_home,
    free_port,
    process_environment,
)
from crm_assets_tests.deploy.processes import process_group, tail

DEFAULT_PROFILE = ROOT / "dagster.yaml"
STREAMS = ["tags", "sources"]  # two small full-table NectarCRM streams

LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on InvalidSubsetError { message }
  }
}
"""
WORKSPACE = """
query Workspace {
  workspaceOrError {
    ... on Workspace {
      locationEntries {
        name loadStatus
        locationOrLoadError { __typename ... on PythonError { message } }
      }
    }
  }
}
"""
RUN = """
query Run($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run { status assetMaterializations { assetKey { path } partition } }
  }
}
"""


def command(name: str, *args: str) -> list[str]:
    return [str(Path(sys.executable).parent / name), *args]


def test_a_materialization_launched_through_the_webserver_reaches_the_warehouse(tmp_path):
    home = dagster_home(tmp_path, DEFAULT_PROFILE)
    warehouse_url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    # The default profile's paths are relative: run from DAGSTER_HOME so they land there.
    env = process_environment(
        DAGSTER_HOME=str(home), CRM_ASSETS_DEMO="1", CRM_WAREHOUSE_URL=warehouse_url
    )
    # Create the instance's storage first, as `dagster dev` does: a webserver and a daemon
    # starting together on an empty SQLite home both run its migrations and can collide
    # ("alembic_version has more than one head").
    subprocess.run(
        command("dagster", "instance", "migrate"), env=env, cwd=home, check=True,
        capture_output=True, timeout=120,
    )  # fmt: skip
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    web_log, daemon_log = tmp_path / "webserver.log", tmp_path / "daemon.log"
    with (
        process_group(
            command("dagster-webserver", "-m", "crm_assets", "-h", "127.0.0.1", "-p", str(port)),
            env=env, cwd=home, log=web_log,
        ) as webserver,
        process_group(
            command("dagster-daemon", "run", "-m", "crm_assets"),
            env=env, cwd=home, log=daemon_log,
        ),
    ):  # fmt: skip
        _wait_until_loaded(url, webserver, web_log)
        day = datetime.now(UTC).strftime("%Y-%m-%d")
        launched = _graphql(url, LAUNCH, params={
            "selector": {
                "repositoryLocationName": "crm_assets",
                "repositoryName": "__repository__",
                "jobName": "nectarcrm_sync",
                "assetSelection": [{"path": ["nectarcrm", s]} for s in STREAMS],
            },
            "runConfigData": {},
            "executionMetadata": {"tags": [{"key": "dagster/partition", "value": day}]},
        })["launchRun"]  # fmt: skip
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run = _wait_for_run(url, launched["run"]["runId"], daemon_log)

    assert run["status"] == "SUCCESS", tail(daemon_log)
    materialized = {(tuple(m["assetKey"]["path"]), m["partition"]) for m in run["assetMaterializations"]}  # fmt: skip
    assert materialized == {(("nectarcrm", s), day) for s in STREAMS}
    warehouse = Warehouse(url=warehouse_url)
    assert warehouse.table_names() == sorted(f"nectarcrm_{s}" for s in STREAMS)
    assert all(warehouse.row_count(f"nectarcrm_{s}") > 0 for s in STREAMS)
    warehouse.engine.dispose()
    # History went to the temporary DAGSTER_HOME, nowhere else.
    assert (home / ".dagster" / "storage").is_dir()


def _graphql(url: str, query: str, **variables) -> dict:
    response = requests.post(f"{url}/graphql", json={"query": query, "variables": variables}, timeout=30)  # fmt: skip
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def _wait_until_loaded(url: str, process, log: Path, timeout: float = 90) -> None:
    # The webserver answers before its code server has loaded the location; a launch
    # in between would find no job.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"dagster-webserver exited:\n{tail(log)}"
        try:
            entries = _graphql(url, WORKSPACE)["workspaceOrError"]["locationEntries"]
        except requests.ConnectionError:
            entries = []
        for entry in entries:
            location = entry["locationOrLoadError"] or {}
            assert location.get("__typename") != "PythonError", location["message"]
            if entry["name"] == "crm_assets" and entry["loadStatus"] == "LOADED":
                return
        time.sleep(0.5)
    raise AssertionError(f"crm_assets did not load in {timeout} s:\n{tail(log)}")


def _wait_for_run(url: str, run_id: str, daemon_log: Path, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = _graphql(url, RUN, runId=run_id)["runOrError"]
        if run["status"] in {"SUCCESS", "FAILURE", "CANCELED"}:
            return run
        time.sleep(1)
    raise AssertionError(f"run {run_id} is still {run['status']}:\n{tail(daemon_log)}")
