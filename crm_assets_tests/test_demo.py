"""The Quickstart demo writes where CRM_WAREHOUSE_URL points and shows live and deleted rows.

The demo's runs are tested through `python -m crm_assets.demo`, as a user runs it: every
source job on its emulator. A URL that cannot work ends the demo before any run, which
`main()` shows in this process.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys

import pytest

from crm_assets import demo
from crm_assets.core.demo import DEMO_VARIABLE
from crm_assets.core.warehouse import Warehouse
from crm_assets.definitions import SOURCES
from crm_assets.models import MODELS

ROW = re.compile(r"^  (\w+)\s+(\d+)\s+(\d+)$", re.MULTILINE)


def run_demo(url: str, home) -> str:
    # An instance of its own: the project's would hold the runs of every test, and the
    # two warehouses' demos would queue for its one-step-per-source pools.
    env = {**os.environ, "CRM_WAREHOUSE_URL": url, "DAGSTER_HOME": str(home)}
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
def test_the_demo_writes_to_the_warehouse_url_and_lists_live_and_deleted_rows(warehouse, tmp_path):
    assert warehouse.table_names() == []
    stdout = run_demo(warehouse.url, tmp_path)
    check_listing(stdout, warehouse)
    assert "password" not in stdout


def run_demo_here(url: str, monkeypatch, capsys) -> tuple[int, str, str]:
    """`main()` of the demo in this process, for the cases that end before any run:
    what it returned and printed. The demo sets its own variable and directory, which
    `monkeypatch` puts back."""
    monkeypatch.setenv("CRM_WAREHOUSE_URL", url)
    monkeypatch.setenv(DEMO_VARIABLE, "")
    monkeypatch.chdir(os.getcwd())
    capsys.readouterr()
    returned = demo.main()
    out, err = capsys.readouterr()
    return returned, out, err


def test_the_demo_explains_a_bad_warehouse_url_and_runs_nothing(monkeypatch, capsys):
    returned, out, err = run_demo_here("mysql://user:hunter2@db/warehouse", monkeypatch, capsys)
    assert returned == 2
    assert err.strip().startswith("CRM_WAREHOUSE_URL names a 'mysql' database")
    assert "hunter2" not in err + out
    assert "Running" not in out


def test_the_demo_names_a_warehouse_that_does_not_answer_and_runs_nothing(monkeypatch, capsys):
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql+psycopg://crm:hunter2@127.0.0.1:{port}/warehouse"
    returned, out, err = run_demo_here(url, monkeypatch, capsys)
    assert returned == 2
    assert err.strip() == (
        f"The PostgreSQL warehouse at 127.0.0.1:{port} refused the connection: start the "
        "server there, or change the host and port in CRM_WAREHOUSE_URL."
    )
    assert "hunter2" not in err + out
    assert "Running" not in out
