"""Stopping and killing runs, as an operator would, against a real persistent instance.

Each test runs Dagster the way a user does (`dagster job execute`, or a run launched
through the instance's run launcher) in a DAGSTER_HOME configured like the project's
`dagster.yaml`, with the NectarCRM emulator on a loopback socket made slow enough to
interrupt mid-stream.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    build_run_status_sensor_context,
)
from dagster._core.test_utils import create_test_daemon_workspace_context
from dagster._core.workspace.load_target import EmptyWorkspaceTarget, ModuleTarget
from dagster._daemon.monitoring.concurrency import execute_concurrency_slots_iteration
from dagster._daemon.monitoring.run_monitoring import execute_run_monitoring_iteration

from crm_assets.alerts import ALERTS_KEY, AlertWebhook, failure_alert_sensor
from crm_assets.core.emulation import serve
from crm_assets.core.runtime.worker import GONE, WORKER_TAG, parse
from crm_assets.sources.nectarcrm.emulator import NectarCrmEmulator
from crm_assets_tests.sources.nectarcrm.conftest import ANCHOR, SMALL, TOKEN

ROOT = Path(__file__).resolve().parent.parent
DAGSTER = str(Path(sys.executable).parent / "dagster")
PARTITION = ANCHOR.isoformat()
CONTACTS = "/crm/api/1/contatos"
PAGE = 50


@dataclass
class Site:
    """A DAGSTER_HOME, a warehouse file and a slow emulator, ready for CLI runs."""

    home: Path
    warehouse: Path
    emulator: NectarCrmEmulator
    config: Path
    env: dict[str, str]

    def instance(self) -> DagsterInstance:
        return DagsterInstance.from_config(str(self.home))

    def execute(self, *extra: str) -> subprocess.Popen:
        command = [DAGSTER, "job", "execute", "-m", "crm_assets", "-j", "nectarcrm_sync"]
        tags = json.dumps({"dagster/partition": PARTITION, "crm/full_sync": "true"})
        command += ["-c", str(self.config), "--tags", tags]
        return subprocess.Popen(
            [*command, *extra],
            cwd=self.home,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group, as a shell gives a job
        )


def instance_yaml(home: Path, **overrides) -> dict:
    """The project's dagster.yaml with its storage moved into `home`."""
    config = yaml.safe_load((ROOT / "dagster.yaml").read_text())
    config.pop("load_from", None)
    config["storage"] = {"sqlite": {"base_dir": str(home / "storage")}}
    config["compute_logs"]["config"]["base_dir"] = str(home / "logs")
    config["local_artifact_storage"]["config"]["base_dir"] = str(home / "artifacts")
    for key, value in overrides.items():
        config[key] = {**config.get(key, {}), **value}
    return config


def run_config(url: str) -> dict:
    settings = {"base_url": f"{url}/crm/api/1/", "api_token": TOKEN, "start_date": "2026-01-01"}
    return {"resources": {"nectarcrm": {"config": {**settings, "requests_per_second": 200.0}}}}


@pytest.fixture
def site(tmp_path) -> Iterator[Callable[..., Site]]:
    """Builds the Site: `latency` slows each emulator answer; `contacts` sizes the
    contacts list; overrides edit dagster.yaml."""
    with ExitStack() as stack:

        def build(latency: float = 0.3, contacts: int | None = None, **instance_overrides) -> Site:
            home = tmp_path / "home"
            home.mkdir(exist_ok=True)
            config = instance_yaml(home, **instance_overrides)
            (home / "dagster.yaml").write_text(yaml.safe_dump(config))
            emulator = NectarCrmEmulator(
                token=TOKEN,
                anchor=ANCHOR,
                latency=latency,
                max_page_size=PAGE,
                sizes={**SMALL, "contatos": contacts or SMALL["contatos"]},
            )
            url = stack.enter_context(serve(emulator))
            (home / "run.yaml").write_text(yaml.safe_dump(run_config(url)))
            warehouse = tmp_path / "warehouse.db"
            env = {**os.environ, "DAGSTER_HOME": str(home)}
            env["CRM_WAREHOUSE_URL"] = f"sqlite:///{warehouse}"
            return Site(home, warehouse, emulator, home / "run.yaml", env)

        yield build


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has exited; only its parent's bookkeeping is left


def step_pids(instance: DagsterInstance, run_id: str) -> set[int]:
    starts = instance.all_logs(run_id, of_type=DagsterEventType.STEP_START)
    return {entry.dagster_event.pid for entry in starts if entry.dagster_event.pid}


@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm"])
def test_stopping_the_cli_cancels_the_run_and_leaves_no_writer(site, stop):
    here = site(contacts=12 * PAGE)
    # The instance first: made at once by this process and the CLI's, a fresh
    # DAGSTER_HOME's storage can be stamped twice (alembic: "more than one head").
    instance = here.instance()
    process = here.execute()
    run = wait_for(lambda: next(iter(instance.get_runs()), None), 30, "the run to exist")
    wait_for(lambda: here.emulator.count(CONTACTS) >= 2, 30, "a contacts page to be written")
    pids = step_pids(instance, run.run_id)
    assert pids and all(alive(pid) for pid in pids)

    if stop == "ctrl-c":  # a terminal sends SIGINT to the whole foreground process group
        os.killpg(process.pid, signal.SIGINT)
    else:
        process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)

    assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.CANCELED, output
    assert not [pid for pid in pids if alive(pid)], "a step process outlived the CLI"
    served = here.emulator.count()
    time.sleep(0.5)
    assert here.emulator.count() == served, "something is still reading the API"
    # The warehouse is consistent: no writer holds it, and only whole pages were written.
    with sqlite3.connect(here.warehouse, timeout=0.5) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        db.execute("BEGIN IMMEDIATE")
        rows = db.execute("SELECT count(*) FROM nectarcrm_contacts").fetchone()[0]
        db.rollback()
    # Whole pages only, and the stream under way stopped, not finished: also when the
    # signal lands while the step stores an event (SourceResource.teardown_after_execution).
    total = len(here.emulator.records("contatos"))
    assert 0 < rows < total and rows % PAGE == 0


def held_slots(instance: DagsterInstance) -> int:
    return instance.event_log_storage.get_concurrency_info("nectarcrm").active_slot_count


def monitor(instance: DagsterInstance, workspace=None) -> None:
    """One pass of the daemon's run monitoring: dead workers, then slots of ended runs."""
    logger = logging.getLogger("crm_assets_tests.monitoring")
    with ExitStack() as stack:
        if workspace is None:
            empty = create_test_daemon_workspace_context(EmptyWorkspaceTarget(), instance)
            workspace = stack.enter_context(empty)
        list(execute_run_monitoring_iteration(workspace, logger))
        list(execute_concurrency_slots_iteration(workspace, logger))


# The daemon waits this long after a run ends before freeing its slots; shortened here.
QUICK_SLOTS = {
    "run_monitoring": {"free_slots_after_run_end_seconds": 1, "poll_interval_seconds": 1}
}


def test_a_killed_cli_run_fails_and_frees_its_pool_slot(site):
    here = site(**QUICK_SLOTS)
    # The instance first: made at once by this process and the CLI's, a fresh
    # DAGSTER_HOME's storage can be stamped twice (alembic: "more than one head").
    instance = here.instance()
    process = here.execute()
    run = wait_for(lambda: next(iter(instance.get_runs()), None), 30, "the run to exist")
    wait_for(lambda: here.emulator.count(CONTACTS) >= 2, 30, "a contacts page to be written")

    steps = step_pids(instance, run.run_id)
    process.kill()  # SIGKILL to the CLI alone: its step process must not write on
    process.communicate(timeout=30)
    wait_for(lambda: not any(alive(pid) for pid in steps), 30, "the orphaned step to stop")
    served = here.emulator.count()
    time.sleep(0.5)
    assert here.emulator.count() == served, "something is still reading the API"
    assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.STARTED
    assert held_slots(instance) == 1

    # What the README tells a user to run: the daemon, here with a 1 s poll interval and
    # no code location (run monitoring needs none; loading one would only cost time).
    daemon = subprocess.Popen(
        [str(Path(DAGSTER).with_name("dagster-daemon")), "run", "--empty-workspace"],
        cwd=here.home,
        env=here.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: held_slots(instance) == 0, 90, "the daemon to free the slot")
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
    assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE
    check_gone_notice(instance, run.run_id)

    here.emulator.latency = 0
    in_process = here.home / "in_process.yaml"
    in_process.write_text(yaml.safe_dump({"execution": {"config": {"in_process": {}}}}))
    rerun = here.execute("-c", str(in_process))
    output, _ = rerun.communicate(timeout=90)
    assert rerun.returncode == 0, output
    assert "blocked by limit" not in output


def alert_on(instance: DagsterInstance, run_id: str) -> None:
    """One evaluation of the failure alert sensor (log only) on the run's failure.

    Dagster's code server and run monitoring may both see a worker die and each write
    the run's failure, so the first failure event is the one alerted on.
    """
    failure = instance.all_logs(run_id, of_type=DagsterEventType.RUN_FAILURE)[0]
    context = build_run_status_sensor_context(
        sensor_name="crm_run_failure_alert",
        dagster_event=failure.dagster_event,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(run_id),
        resources={ALERTS_KEY: AlertWebhook()},
    ).for_run_failure()
    failure_alert_sensor([])(context)


def check_gone_notice(instance: DagsterInstance, run_id: str, before_failure: bool = True) -> None:
    """The run's log says, once (and before its failure, unless Dagster failed the run
    first), that its worker was killed, when, and what the run had materialized, naming
    the worker as its tag does, readably."""
    worker = instance.get_run_by_id(run_id).tags[WORKER_TAG]
    host, pid, _ = parse(worker)
    records = instance.all_logs(run_id)
    notices = [i for i, r in enumerate(records) if (r.message or "").startswith(GONE)]
    assert len(notices) == 1, [r.message for r in records]
    # The first failure: the code server and run monitoring may each write one.
    failed = min(
        i for i, r in enumerate(records) if r.dagster_event and r.dagster_event.is_run_failure
    )
    notice = records[notices[0]].message
    assert notices[0] < failed or not before_failure
    assert notice.startswith(f"{GONE} (pid {pid} on {host}) is gone, found by ")
    assert "uncatchable signal (SIGKILL" in notice or "terminated by signal 9 (SIGKILL)" in notice
    # What the run's log held when the worker was found gone (an orphaned step may
    # still finish a stream after that).
    materialized = sorted(
        r.asset_materialization.asset_key.to_user_string()
        for r in records[: notices[0]]
        if r.asset_materialization
    )
    listed = re.search(r"Materialized by then: (.*?)\. Pages", notice)
    if materialized:
        assert sorted(item.split(" (")[0] for item in listed[1].split("; ")) == materialized
    else:
        assert listed is None and "Nothing had been materialized by then." in notice
    assert TOKEN not in notice


def launch(instance: DagsterInstance, workspace, run_config: dict) -> str:
    """Launch a nectarcrm_sync run through the instance's run launcher, as the UI does."""
    from crm_assets.definitions import build_definitions

    defs = build_definitions()
    context = workspace.create_request_context()
    location = context.get_code_location("crm_assets")
    remote_job = location.get_repository("__repository__").get_full_job("nectarcrm_sync")
    run = instance.create_run_for_job(
        job_def=defs.resolve_job_def("nectarcrm_sync"),
        run_config=run_config,
        tags={"dagster/partition": PARTITION, "crm/full_sync": "true"},
        remote_job_origin=remote_job.get_remote_origin(),
        job_code_origin=remote_job.get_python_origin(),
    )
    instance.launch_run(run.run_id, context)
    return run.run_id


def test_a_launched_run_whose_worker_is_killed_fails_and_the_next_run_proceeds(site, monkeypatch):
    here = site(**QUICK_SLOTS)
    for name in ("DAGSTER_HOME", "CRM_WAREHOUSE_URL"):  # the code server inherits them
        monkeypatch.setenv(name, here.env[name])
    instance = here.instance()
    config = yaml.safe_load(here.config.read_text())
    target = ModuleTarget("crm_assets", None, str(ROOT), "crm_assets")
    with create_test_daemon_workspace_context(target, instance) as workspace:
        run_id = launch(instance, workspace, config)
        wait_for(lambda: here.emulator.count(CONTACTS) >= 2, 60, "a contacts page to be written")
        _, worker, _ = parse(instance.get_run_by_id(run_id).tags[WORKER_TAG])
        assert worker != os.getpid() and held_slots(instance) == 1
        for pid in {worker, *step_pids(instance, run_id)}:
            os.kill(pid, signal.SIGKILL)

        def monitored() -> bool:
            monitor(instance, workspace)
            return instance.get_run_by_id(run_id).is_finished and held_slots(instance) == 0

        wait_for(monitored, 30, "the run to fail and give its slot back")
        assert instance.get_run_by_id(run_id).status == DagsterRunStatus.FAILURE
        # Dagster's code server usually fails the run first (it started the worker and
        # saw the signal), before run monitoring looks; the failure alert then writes
        # the run's account of its dead worker, naming the signal.
        alert_on(instance, run_id)
        check_gone_notice(instance, run_id, before_failure=False)
        engine = instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT)
        if any("terminated by signal 9" in (e.message or "") for e in engine):
            [notice] = [e.message for e in engine if e.message.startswith(GONE)]
            assert "It was terminated by signal 9 (SIGKILL)." in notice

        here.emulator.latency = 0
        next_id = launch(instance, workspace, config)
        wait_for(lambda: instance.get_run_by_id(next_id).is_finished, 90, "the next run")
        assert instance.get_run_by_id(next_id).status == DagsterRunStatus.SUCCESS
