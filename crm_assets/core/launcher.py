"""The run launcher of `dagster.yaml`: Dagster's default one, plus a worker health check.

Dagster's run monitoring (in the daemon) fails a STARTED run whose worker died and
frees its concurrency slots, but only for launchers that can check a worker's health;
the default launcher cannot, so a killed run stayed STARTED and held its source's pool
slot for good. This launcher answers the check from the worker named in the run's
`crm/run_worker` tag (set by the code location's executor), so it also covers runs
started by `dagster job execute`, which no launcher watches. A worker on another host,
or a run without the tag, is reported running: only the `max_runtime_seconds` backstop
applies to it.
"""

from __future__ import annotations

from dagster import DefaultRunLauncher
from dagster._core.launcher import CheckRunHealthResult, WorkerStatus

from crm_assets.core.worker import WORKER_TAG, Liveness, liveness


class LocalRunLauncher(DefaultRunLauncher):
    """Launches runs on the code server like DefaultRunLauncher; reports dead workers."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run) -> CheckRunHealthResult:
        worker = run.tags.get(WORKER_TAG)
        if liveness(worker) == Liveness.DEAD:
            return CheckRunHealthResult(
                WorkerStatus.FAILED,
                f"The run's worker process ({worker}) is gone: it was killed or crashed.",
            )
        return CheckRunHealthResult(WorkerStatus.RUNNING)
