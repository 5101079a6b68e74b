"""CRM_EXECUTOR picks the engine of every job's steps; unset, nothing changes."""

from __future__ import annotations

import pytest
from dagster import DagsterInvalidConfigError, validate_run_config

from crm_assets.core.runtime.executor import (
    ExecutorChoiceError,
    cancel_on_signal_executor,
    executor_from_env,
)
from crm_assets.definitions import build_definitions

JOBS = ["nectarcrm_sync", "pipedrive_full_sync", "all_sources_sync"]


def test_without_a_choice_every_job_keeps_the_cancel_on_signal_executor(monkeypatch):
    assert executor_from_env() is cancel_on_signal_executor
    monkeypatch.setenv("CRM_EXECUTOR", "multiprocess")
    assert executor_from_env() is cancel_on_signal_executor
    monkeypatch.delenv("CRM_EXECUTOR")
    defs = build_definitions()
    for name in JOBS:
        assert defs.resolve_job_def(name).executor_def is cancel_on_signal_executor


def test_celery_runs_every_jobs_steps_through_the_broker_named_by_a_variable(monkeypatch):
    monkeypatch.setenv("CRM_EXECUTOR", "Celery")
    defs = build_definitions()  # loads with the broker's variable unset
    for name in JOBS:
        job = defs.resolve_job_def(name)
        assert job.executor_def.name == "celery"
        with pytest.raises(DagsterInvalidConfigError, match="CRM_CELERY_BROKER_URL"):
            validate_run_config(job, {})

    monkeypatch.setenv("CRM_CELERY_BROKER_URL", "pyamqp://crm:s3cret@broker:5672//")
    monkeypatch.setenv("CRM_CELERY_QUEUE", "crm")
    validate_run_config(build_definitions().resolve_job_def("nectarcrm_sync"), {})


@pytest.mark.parametrize(
    "value, message",
    [("dask", "CRM_EXECUTOR='dask' is not an executor; use celery or multiprocess")],
)
def test_an_unknown_executor_is_refused_with_the_choices(monkeypatch, value, message):
    monkeypatch.setenv("CRM_EXECUTOR", value)
    with pytest.raises(ExecutorChoiceError, match=message):
        build_definitions()
