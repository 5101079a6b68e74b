"""The production profile: runs, events and schedules in PostgreSQL, with the run queue,
run monitoring and a pool of one per source.

The test runs a source's job as an operator would (`dagster job execute`, demo mode)
on a DAGSTER_HOME holding deploy/production/dagster.yaml, against a database created
for it, then reads the run back from that database.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from dagster import AssetKey, DagsterEventType, DagsterInstance, DagsterRunStatus
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

from crm_assets.core.warehouse import Warehouse
from crm_assets.sources.nectarcrm.streams import SOURCE as NECTARCRM
from crm_assets_tests.deploy.conftest import ROOT, dagster_home, process_environment

PROFILE = ROOT / "deploy" / "production" / "dagster.yaml"
# The emulator has no rate limit; the default pace would only make the test slower.
FAST = {"resources": {"nectarcrm": {"config": {"requests_per_second": 200}}}}


def dagster_command(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "dagster"), *args]


def test_a_source_job_on_the_production_profile_is_stored_in_postgres(
    tmp_path, dagster_postgres_url, monkeypatch
):
    home = dagster_home(tmp_path, PROFILE)
    warehouse_url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    (tmp_path / "run.json").write_text(json.dumps(FAST))
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    env = process_environment(
        DAGSTER_HOME=str(home),
        DAGSTER_PG_URL=dagster_postgres_url,
        CRM_ASSETS_DEMO="1",
        CRM_WAREHOUSE_URL=warehouse_url,
    )
    done = subprocess.run(
        dagster_command("job", "execute", "-m", "crm_assets", "-j", "nectarcrm_sync",
                        "-c", str(tmp_path / "run.json"),
                        "--tags", json.dumps({"dagster/partition": day})),
        env=env, cwd=home, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    monkeypatch.setenv("DAGSTER_PG_URL", dagster_postgres_url)
    with DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        [run] = instance.get_runs()
        assert (run.job_name, run.status) == ("nectarcrm_sync", DagsterRunStatus.SUCCESS)
        assert run.tags["dagster/partition"] == day
        events = instance.all_logs(run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
        materialized = {event.dagster_event.asset_key for event in events}
        assert materialized == {AssetKey(["nectarcrm", s.name]) for s in NECTARCRM.streams}
        # The source's pool was created on first use with the profile's limit of one.
        assert instance.event_log_storage.get_concurrency_info("nectarcrm").slot_count == 1
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] == 30
        assert instance.run_monitoring_max_runtime_seconds == 86400
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 4

    # The run is in the database itself, not in a file under DAGSTER_HOME.
    engine = sa.create_engine(dagster_postgres_url)
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT run_id, status FROM runs")).all()
    engine.dispose()
    assert stored == [(run.run_id, "SUCCESS")]
    assert not (home / "history").exists()

    warehouse = Warehouse(url=warehouse_url)
    assert "nectarcrm_contacts" in warehouse.table_names()
    assert warehouse.row_count("nectarcrm_tags") > 0
    warehouse.engine.dispose()
