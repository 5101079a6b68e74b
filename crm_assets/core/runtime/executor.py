"""The executor of every job: Dagster's default with two additions, or Celery workers.

`executor_from_env` picks the engine, a deployment's choice applied to every job,
schedules' runs included. `CRM_EXECUTOR=celery` sends each step to a Celery worker
through the broker at `CRM_CELERY_BROKER_URL` (bound as an environment variable, so
its password never shows in run config or the UI), on the queue `CRM_CELERY_QUEUE`
(default `dagster`, which `dagster-celery worker start` listens on unless given `-q`).
Unset (or `multiprocess`), steps run in subprocesses of the run, with the three
additions below: the executor names its worker, a run stopped by a signal ends
CANCELED, not FAILED, and a run whose resources fail setup fails with their sentence.

The executor runs in the run's worker process (the `dagster job execute` process, or
the process a run launcher started), so it tags the run with that process's identity
(`crm/run_worker`). Run monitoring uses the tag to see that a worker was killed (see
`core/runtime/launcher.py`), also for runs no launcher started.

`dagster job execute` already turns Ctrl-C (SIGINT) and SIGTERM into an interrupt:
the executor tells each step process to stop, waits for it, and ends the run. But it
records the run as FAILED ("interrupted unexpectedly"), because Dagster calls a run
canceled only when a termination request was recorded before the interrupt, as the
UI's Terminate button does. A signal to the run's process is such a request, so this
executor records it before letting the interrupt end the run. Runs terminated from the
UI already carry the request and are left as they are.

A resource that cannot be set up (a missing token, a warehouse that does not answer)
raises a `Failure` saying what to change. Dagster fails such a run with "An exception
was thrown during execution" over its own wrapper errors; the executor re-raises the
resource's `Failure` instead, so the run's failure carries that sentence first.
(Dagster's framing line, 'Execution of run for "<job>" failed.', is fixed text.)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from dagster import (
    DagsterError,
    DagsterExecutionInterruptedError,
    DagsterInstance,
    DagsterRunStatus,
    Executor,
    ExecutorDefinition,
    Failure,
    multi_or_in_process_executor,
)

from crm_assets.core.runtime.worker import WORKER_TAG, this_process

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
        worker = this_process()
        if worker is not None:
            plan_context.instance.add_run_tags(plan_context.run_id, {WORKER_TAG: worker})
        try:
            yield from self._inner.execute(plan_context, execution_plan)
        except (DagsterExecutionInterruptedError, KeyboardInterrupt):
            request_termination(plan_context.instance, plan_context.run_id)
            raise
        except DagsterError as exc:
            reason = setup_failure(exc)
            if reason is None:
                raise
            # Raised outside Dagster's wrappers and unchained, so the run's failure shows
            # this sentence alone under Dagster's "Execution of run ... failed." line.
            raise Failure(description=reason, allow_retries=False) from None


def setup_failure(error: DagsterError) -> str | None:
    """The sentence of the `Failure` a resource raised in setup, found in the error Dagster
    wraps it in, or None when `error` holds no Failure.

    Dagster reports a resource that fails setup as "An exception was thrown during
    execution", under which sits a DagsterResourceFunctionError (in process) or a
    DagsterSubprocessError listing each step process's serialized error (multiprocess);
    our resources' own sentence, which says what to change, is buried in it.
    """
    user = getattr(error, "user_exception", None)
    if isinstance(user, Failure) and user.description:
        return user.description.strip()
    reasons: list[str] = []
    for info in getattr(error, "subprocess_error_infos", None) or []:
        while info is not None:
            if info.cls_name == "Failure" and "Failure: " in info.message:
                reason = info.message.split("Failure: ", 1)[1].strip()
                if reason not in reasons:
                    reasons.append(reason)
                break
            info = info.cause
    return "\n".join(reasons) or None


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


# -- the engine ------------------------------------------------------------------------

EXECUTOR_VARIABLE = "CRM_EXECUTOR"
BROKER_VARIABLE = "CRM_CELERY_BROKER_URL"
QUEUE_VARIABLE = "CRM_CELERY_QUEUE"
DEFAULT_QUEUE = "dagster"
# Results travel back over the broker itself, so workers need no second service.
CELERY_BACKEND = "rpc://"


class ExecutorChoiceError(ValueError):
    """CRM_EXECUTOR names an engine this project does not run on, or one not installed."""


def executor_from_env() -> ExecutorDefinition:
    """The executor for every job: Celery's if chosen, else `cancel_on_signal_executor`."""
    choice = os.getenv(EXECUTOR_VARIABLE, "").strip().lower()
    if choice in {"", "multiprocess"}:
        return cancel_on_signal_executor
    if choice != "celery":
        raise ExecutorChoiceError(
            f"{EXECUTOR_VARIABLE}={choice!r} is not an executor; use celery or multiprocess "
            "(or leave it unset)."
        )
    try:
        from dagster_celery import celery_executor
    except ImportError:
        raise ExecutorChoiceError(
            f"{EXECUTOR_VARIABLE}=celery needs dagster-celery: pip install -e '.[celery]'."
        ) from None
    queue = os.getenv(QUEUE_VARIABLE, "").strip() or DEFAULT_QUEUE
    return celery_executor.configured(
        {
            "broker": {"env": BROKER_VARIABLE},
            "backend": CELERY_BACKEND,
            "config_source": {"task_default_queue": queue},
        },
        name="celery",
    )
