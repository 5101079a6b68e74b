"""Scale-out on Celery: a source's job whose step runs on a Celery worker.

A worker is started as an operator would (`dagster-celery worker start` with
deploy/celery/worker.yaml) on a DAGSTER_HOME holding deploy/celery/dagster.yaml,
listening on a queue of its own so no other worker on the broker takes the step.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus

from crm_assets.core.warehouse import Warehouse
from crm_assets_tests.deploy.conftest import ROOT, dagster_home, process_environment
from crm_assets_tests.deploy.processes import process_group, tail

PROFILE = ROOT / "deploy" / "celery" / "dagster.yaml"
WORKER_CONFIG = ROOT / "deploy" / "celery" / "worker.yaml"
FAST = {"resources": {"nectarcrm": {"config": {"requests_per_second": 200}}}}


def command(name: str, *args: str) -> list[str]:
    return [str(Path(sys.executable).parent / name), *args]


def test_a_source_job_runs_its_step_on_a_celery_worker(
    tmp_path, dagster_postgres_url, broker_url, monkeypatch
):
    home = dagster_home(tmp_path, PROFILE)
    warehouse_url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    (tmp_path / "run.json").write_text(json.dumps(FAST))
    queue = worker = f"crm-test-{uuid.uuid4().hex[:8]}"
    env = process_environment(
        DAGSTER_HOME=str(home),
        DAGSTER_PG_URL=dagster_postgres_url,
        CRM_EXECUTOR="celery",
        CRM_CELERY_BROKER_URL=broker_url,
        CRM_CELERY_QUEUE=queue,
        CRM_ASSETS_DEMO="1",
        CRM_WAREHOUSE_URL=warehouse_url,
    )
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    log = tmp_path / "worker.log"
    try:
        with process_group(
            command("dagster-celery", "worker", "start", "-A", "dagster_celery.app",
                    "-y", str(WORKER_CONFIG), "-n", worker, "-q", queue,
                    # One process (the default is one per core), and no waiting for
                    # other workers to sync with at start.
                    "--", "--pool", "solo", "--without-mingle", "--without-gossip"),
            env=env, cwd=home, log=log,
        ) as process:  # fmt: skip
            _wait_until_ready(process, log)
            done = subprocess.run(
                command("dagster", "job", "execute", "-m", "crm_assets", "-j", "nectarcrm_sync",
                        "-c", str(tmp_path / "run.json"),
                        "--tags", json.dumps({"dagster/partition": day})),
                env=env, cwd=home, capture_output=True, text=True, timeout=180,
            )  # fmt: skip
    finally:
        _delete_queue(broker_url, queue)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:] + tail(log)

    monkeypatch.setenv("DAGSTER_PG_URL", dagster_postgres_url)
    with DagsterInstance.from_config(str(home)) as instance:
        [run] = instance.get_runs()
        assert (run.job_name, run.status) == ("nectarcrm_sync", DagsterRunStatus.SUCCESS)
        # The broker URL (a credential) is bound by name: not in the run's config or log.
        assert broker_url not in json.dumps(run.run_config)
        assert not [e for e in instance.all_logs(run.run_id) if broker_url in e.message]
        engine_events = instance.all_logs(run.run_id, of_type=DagsterEventType.ENGINE_EVENT)
        workers = {
            str(event.dagster_event.engine_event_data.metadata["Celery worker"].value)
            for event in engine_events
            if "Celery worker" in event.dagster_event.engine_event_data.metadata
        }
    assert len(workers) == 1 and workers.pop().startswith(f"{worker}@")

    warehouse = Warehouse(url=warehouse_url)
    assert "nectarcrm_contacts" in warehouse.table_names()
    assert warehouse.row_count("nectarcrm_tags") > 0
    warehouse.engine.dispose()


def _wait_until_ready(process, log: Path, timeout: float = 60) -> None:
    # Publishing before the worker has declared its queue would lose the step.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the Celery worker exited:\n{tail(log)}"
        if " ready." in tail(log, 2000):
            return
        time.sleep(0.3)
    raise AssertionError(f"the Celery worker was not ready in {timeout} s:\n{tail(log)}")


def _delete_queue(broker_url: str, queue: str) -> None:
    # Celery declares queues durable: a test's own queue would outlive it on the broker.
    from kombu import Connection

    with Connection(broker_url) as connection:
        connection.default_channel.queue_delete(queue)
