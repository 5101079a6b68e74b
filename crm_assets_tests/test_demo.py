"""The Quickstart demo writes where CRM_WAREHOUSE_URL points and shows live and deleted rows.

Each test runs `python -m crm_assets.demo` as a user would: every source job on its
emulator (about half a minute, most of it NectarCRM's request rate).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys

import pytest

from crm_assets.core.warehouse import Warehouse
from crm_assets.definitions import SOURCES
from crm_assets.models import MODELS

ROW = re.compile(r"^  (\w+)\s+(\d+)\s+(\d+)$", re.MULTILINE)


def run_demo(url: str) -> str:
    env = {**os.environ, "CRM_WAREHOUSE_URL": url}
    done = subprocess.run(
        [sys.executable, "-m", "crm_assets.demo"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    # Every run, the models' included, logs at INFO: progress and failures, no DEBUG events.
    assert " - INFO - " in done.stderr
    assert " - DEBUG - " not in done.stdout + done.stderr
    return done.stdout


def check_listing(stdout: str, warehouse: Warehouse) -> None:
    assert re.search(r"^  table\s+live rows\s+deleted$", stdout, re.MULTILINE)
    listed = {name: (int(live), int(deleted)) for name, live, deleted in ROW.findall(stdout)}
    models = {m.name for m in MODELS}
    assert set(listed) == set(warehouse.table_names()) - models
    assert {name.split("_")[0] for name in listed} == {s.name for s in SOURCES}
    for model in models:  # built after the syncs, with rows, and printed apart
        assert warehouse.row_count(model, include_deleted=True) > 0, model
        assert re.search(rf"^{model}: [1-9]\d* rows", stdout, re.MULTILINE), model
    for table, (live, deleted) in listed.items():
        total = warehouse.row_count(table, include_deleted=True)
        assert (live, deleted) == (warehouse.row_count(table), total - live), table
    # The demo data deletes deals: the listing must not count them as live.
    assert listed["pipedrive_deals"][1] > 0


@pytest.mark.parametrize("warehouse", ["sqlite", "postgres"], indirect=True)
def test_the_demo_writes_to_the_warehouse_url_and_lists_live_and_deleted_rows(warehouse):
    assert warehouse.table_names() == []
    stdout = run_demo(warehouse.url)
    check_listing(stdout, warehouse)
    assert "password" not in stdout


def test_the_demo_explains_a_bad_warehouse_url_and_runs_nothing():
    done = subprocess.run(
        [sys.executable, "-m", "crm_assets.demo"],
        env={**os.environ, "CRM_WAREHOUSE_URL": "mysql://user:hunter2@db/warehouse"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().startswith("CRM_WAREHOUSE_URL names a 'mysql' database")
    assert "hunter2" not in done.stderr + done.stdout
    assert "Running" not in done.stdout


def test_the_demo_names_a_warehouse_that_does_not_answer_and_runs_nothing():
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql+psycopg://crm:hunter2@127.0.0.1:{port}/warehouse"
    done = subprocess.run(
        [sys.executable, "-m", "crm_assets.demo"],
        env={**os.environ, "CRM_WAREHOUSE_URL": url},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"The PostgreSQL warehouse at 127.0.0.1:{port} refused the connection: start the "
        "server there, or change the host and port in CRM_WAREHOUSE_URL."
    )
    assert "hunter2" not in done.stderr + done.stdout
    assert "Running" not in done.stdout
