"""Which engine runs the steps of every job: Dagster's default, or Celery workers.

`CRM_EXECUTOR=celery` sends each step to a Celery worker through the broker at
`CRM_CELERY_BROKER_URL`, on the queue `CRM_CELERY_QUEUE` (default `dagster`, which
`dagster-celery worker start` listens on unless given `-q`); unset (or `multiprocess`),
steps run in subprocesses of the run, Dagster's default. The choice is the deployment's, so it applies to every job,
schedules' runs included. The broker URL is bound as an environment variable, so its
password never shows in run config or the UI.
"""

from __future__ import annotations

import os

from dagster import ExecutorDefinition

EXECUTOR_VARIABLE = "CRM_EXECUTOR"
BROKER_VARIABLE = "CRM_CELERY_BROKER_URL"
QUEUE_VARIABLE = "CRM_CELERY_QUEUE"
DEFAULT_QUEUE = "dagster"
# Results travel back over the broker itself, so workers need no second service.
CELERY_BACKEND = "rpc://"


class ExecutorChoiceError(ValueError):
    """CRM_EXECUTOR names an engine this project does not run on, or one not installed."""


def executor_from_env(default: ExecutorDefinition | None = None) -> ExecutorDefinition | None:
    """The executor for every job: Celery's if chosen, else `default` (None: Dagster's)."""
    choice = os.getenv(EXECUTOR_VARIABLE, "").strip().lower()
    if choice in {"", "multiprocess"}:
        return default
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
