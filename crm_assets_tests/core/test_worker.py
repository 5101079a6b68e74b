"""Telling a run's live worker from a dead one, on this host only, and saying so."""

from __future__ import annotations

import re
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from dagster import DagsterEventType
from dagster._core.launcher import WorkerStatus
from dagster._core.test_utils import instance_for_test

from crm_assets.core.runtime.launcher import LocalRunLauncher
from crm_assets.core.runtime.worker import (
    GONE,
    WORKER_TAG,
    Liveness,
    WorkerGone,
    liveness,
    orphan_check,
    parse,
    this_process,
)
from crm_assets_tests.sources.nectarcrm import conftest as nectar


def exited_worker() -> str:
    """A worker name on this host whose process has exited."""
    host, _, started = parse(this_process())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    # Same host, a pid that no longer runs (or was reused by a process started later).
    return f"host={host} pid={child.pid} started={started}"


def test_the_worker_tag_reads_as_host_pid_and_start_time():
    me = this_process()
    assert re.fullmatch(r"host=\S+ pid=\d+ started=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d\dZ", me), me


def test_this_process_is_alive_and_an_exited_one_is_dead():
    me = this_process()
    assert liveness(me) == Liveness.ALIVE
    orphan_check(me)()  # a live worker: the step goes on

    gone = exited_worker()
    assert liveness(gone) == Liveness.DEAD
    reported = []
    check = orphan_check(gone, on_death=lambda: reported.append(1))
    for _ in range(2):
        with pytest.raises(WorkerGone, match=r"worker process \(pid \d+ on \S+\) is gone"):
            check()
    assert reported == [1], "the death is reported once, by the first to see it"


def test_a_tag_written_before_the_readable_one_is_still_checked():
    host, pid, _ = parse(this_process())
    ticks = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    assert liveness(f"{host} {pid} {ticks}") == Liveness.ALIVE
    assert liveness(f"{host} {pid} {int(ticks) + 1}") == Liveness.DEAD


@pytest.mark.parametrize(
    "worker", [None, "", "garbage", "another-host 1 12345", "host=another pid=1 started=x"]
)
def test_what_cannot_be_checked_here_is_never_judged_dead(worker):
    assert liveness(worker) == Liveness.UNKNOWN
    orphan_check(worker)()


def test_the_launcher_says_what_a_dead_worker_had_written_once(sqlite_warehouse):
    launcher = {"module": "crm_assets.core.runtime.launcher", "class": "LocalRunLauncher"}
    with (
        instance_for_test(overrides={"run_launcher": launcher}) as instance,
        contextmanager(nectar._harness)(sizes=nectar.SMALL) as harness,
    ):
        harness.instance = instance
        result = harness.run(sqlite_warehouse, streams=["tags", "sources"])
        gone = exited_worker()
        instance.add_run_tags(result.run_id, {WORKER_TAG: gone})
        # What Dagster's code server logs when the worker it started dies by a signal.
        run = instance.get_run_by_id(result.run_id)
        instance.report_engine_event(
            f"Run execution process for {run.run_id} was terminated by signal 9 (SIGKILL).", run
        )
        assert isinstance(instance.run_launcher, LocalRunLauncher)

        health = instance.run_launcher.check_run_worker_health(run)
        assert health.status == WorkerStatus.FAILED
        assert (
            health.msg
            == f"{GONE} (pid {parse(gone)[1]} on {parse(gone)[0]}) is gone: killed or crashed."
        )
        again = instance.run_launcher.check_run_worker_health(run)
        assert again.status == WorkerStatus.FAILED

        engine = instance.all_logs(run.run_id, of_type=DagsterEventType.ENGINE_EVENT)
        [notice] = [e.message for e in engine if e.message.startswith(GONE)]
        assert notice.startswith(
            f"{GONE} (pid {parse(gone)[1]} on {parse(gone)[0]}) is gone, found by run monitoring at "
        )
        assert "It was terminated by signal 9 (SIGKILL)." in notice
        rows = {
            key: sqlite_warehouse.row_count(f"nectarcrm_{key}", include_deleted=True)
            for key in ("tags", "sources")
        }
        written = sorted(
            e.asset_materialization.asset_key.to_user_string()
            for e in instance.all_logs(run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
        )
        assert written == ["nectarcrm/sources", "nectarcrm/tags"]
        listed = re.search(r"Materialized by then: (.*?)\. Pages", notice)[1].split("; ")
        assert sorted(listed) == sorted(
            f"nectarcrm/{key} ({count} rows inserted, 0 updated)" for key, count in rows.items()
        )
        assert re.search(r"the run's last event was at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", notice)
        assert nectar.TOKEN not in notice
