"""The run launcher of `dagster.yaml`: Dagster's default one, plus a worker health check.

Dagster's run monitoring (in the daemon) fails a STARTED run whose worker died and
frees its concurrency slots, but only for launchers that can check a worker's health;
the default launcher cannot, so a killed run stayed STARTED and held its source's pool
slot for good. This launcher answers the check from the worker named in the run's
`crm/run_worker` tag (set by the code location's executor), so it also covers runs
started by `dagster job execute`, which no launcher watches. A worker on another host,
or a run without the tag, is reported running: only the `max_runtime_seconds` backstop
applies to it.

When it finds a worker dead, it first writes the project's account of it as an event
of the run (`worker.gone_notice`): which process, how it ended, when it was last heard
from and what the run had materialized, where Dagster's own lines name only a signal
number or a guess at memory.
"""

from __future__ import annotations

import logging

from dagster import DefaultRunLauncher

from crm_assets.core.dagster_private import CheckRunHealthResult, WorkerStatus
from crm_assets.core.runtime.worker import GONE, WORKER_TAG, Liveness, liveness, report_gone, shown


class LocalRunLauncher(DefaultRunLauncher):
    """Launches runs on the code server like DefaultRunLauncher; reports dead workers."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run) -> CheckRunHealthResult:
        worker = run.tags.get(WORKER_TAG)
        if liveness(worker) == Liveness.DEAD:
            # The run's own account first (how it ended, when, what it had written), then
            # run monitoring fails the run quoting the line below.
            try:
                report_gone(self._instance, run, worker, found_by="run monitoring")
            except Exception:  # the account is a courtesy: the run must still be failed
                logging.getLogger(__name__).exception(
                    "Could not report run %s's dead worker", run.run_id
                )
            return CheckRunHealthResult(
                WorkerStatus.FAILED, f"{GONE} ({shown(worker)}) is gone: killed or crashed."
            )
        return CheckRunHealthResult(WorkerStatus.RUNNING)
