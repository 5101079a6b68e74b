"""Dagster's default executor, with one change: a stopped run ends CANCELED, not FAILED.

`dagster job execute` already turns Ctrl-C (SIGINT) and SIGTERM into an interrupt:
the executor tells each step process to stop, waits for it, and ends the run. But it
records the run as FAILED ("interrupted unexpectedly"), because Dagster calls a run
canceled only when a termination request was recorded before the interrupt, as the
UI's Terminate button does. A signal to the run's process is such a request, so this
executor records it before letting the interrupt end the run. Runs terminated from the
UI already carry the request and are left as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dagster import DagsterInstance, Executor, ExecutorDefinition, multi_or_in_process_executor
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster._core.storage.dagster_run import DagsterRunStatus

STOPPED_BY_SIGNAL = (
    "Stopped by a signal to the run's process (Ctrl-C or SIGTERM): canceling. Rows already "
    "written stay; re-running the partition resumes."
)


class _CancelOnInterrupt(Executor):
    """Runs `inner` unchanged; on an interrupt, records the run's termination request."""

    def __init__(self, inner: Executor):
        self._inner = inner

    @property
    def retries(self) -> Any:
        return self._inner.retries

    @property
    def step_dependency_config(self) -> Any:
        return self._inner.step_dependency_config

    def execute(self, plan_context: Any, execution_plan: Any) -> Iterator[Any]:
        try:
            yield from self._inner.execute(plan_context, execution_plan)
        except (DagsterExecutionInterruptedError, KeyboardInterrupt):
            request_termination(plan_context.instance, plan_context.run_id)
            raise


def request_termination(instance: DagsterInstance, run_id: str) -> None:
    """Mark the run CANCELING unless it already ended or a termination is under way."""
    run = instance.get_run_by_id(run_id)
    if run is not None and run.status in (DagsterRunStatus.STARTING, DagsterRunStatus.STARTED):
        instance.report_run_canceling(run, message=STOPPED_BY_SIGNAL)


def _create(init_context: Any) -> Executor:
    return _CancelOnInterrupt(multi_or_in_process_executor.executor_creation_fn(init_context))


cancel_on_signal_executor = ExecutorDefinition(
    name="multi_or_in_process_executor",
    config_schema=multi_or_in_process_executor.config_schema,
    requirements=multi_or_in_process_executor.get_requirements,
    executor_creation_fn=_create,
    description=(
        "Dagster's default executor (multiprocess, or in_process by config); a run stopped "
        "by SIGINT or SIGTERM ends CANCELED."
    ),
)
