"""Run-failure alerts: a log line with a link to the run, and an optional webhook.

Every failed run of the code location is logged by `crm_run_failure_alert` with a
link to the run in the webserver (`DAGSTER_WEBSERVER_URL`, default
http://127.0.0.1:3000). When `CRM_ALERT_WEBHOOK_URL` is set, a JSON message is also
POSTed to it (Slack-compatible: its `text` field, all a chat tool shows, says what
failed, why in one sentence, and the link). The URL often holds a
secret (a Slack or Teams webhook is its own credential), so it is bound with
`EnvVar` and never written to a log or an error. The message is built from the
step errors, which the sources' clients already redact, and is redacted again with
every secret the environment holds, so no source's token reaches it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import requests
from dagster import (
    ConfigurableResource,
    DagsterEventType,
    DefaultSensorStatus,
    EnvVar,
    RunFailureSensorContext,
    SensorDefinition,
    run_failure_sensor,
)
from pydantic import Field

from crm_assets.core.redaction import Redactor
from crm_assets.core.runtime.worker import GONE, WORKER_TAG, Liveness, liveness, parse, report_gone

WEBHOOK_VARIABLE = "CRM_ALERT_WEBHOOK_URL"
WEBSERVER_VARIABLE = "DAGSTER_WEBSERVER_URL"
DEFAULT_WEBSERVER_URL = "http://127.0.0.1:3000"
ALERTS_KEY = "alert_webhook"
# Alerts are read by people: the start of each error says what happened.
_MAX_ERROR_CHARS = 1500
# The reason in `text`, which chat tools show on their own: one sentence, not a log.
_MAX_REASON_CHARS = 300


class AlertWebhook(ConfigurableResource):
    """Where run-failure alerts go, and how to link to a run."""

    url: str | None = Field(default=None, description=f"From {WEBHOOK_VARIABLE}; none: log only.")
    webserver_url: str = Field(
        default=DEFAULT_WEBSERVER_URL, description=f"From {WEBSERVER_VARIABLE}."
    )
    timeout_seconds: float = 10.0

    @classmethod
    def from_env(cls) -> AlertWebhook:
        # Bound only when set, so definitions load without them; the UI shows the names.
        settings: dict[str, Any] = {}
        if os.getenv(WEBHOOK_VARIABLE):
            settings["url"] = EnvVar(WEBHOOK_VARIABLE)
        if os.getenv(WEBSERVER_VARIABLE):
            settings["webserver_url"] = EnvVar(WEBSERVER_VARIABLE)
        return cls(**settings)

    def run_link(self, run_id: str) -> str:
        return f"{self.webserver_url.rstrip('/')}/runs/{run_id}"

    def post(self, message: dict[str, Any]) -> str | None:
        """POST `message`; returns what went wrong (never naming the URL), or None."""
        try:
            response = requests.post(self.url, json=message, timeout=self.timeout_seconds)
        except requests.RequestException as exc:
            return (
                f"the alert webhook ({WEBHOOK_VARIABLE}) could not be reached: {type(exc).__name__}"
            )
        if response.status_code >= 300:
            return f"the alert webhook ({WEBHOOK_VARIABLE}) answered HTTP {response.status_code}"
        return None


def failure_alert_sensor(secret_variables: Iterable[str]) -> SensorDefinition:
    """The sensor; `secret_variables` name every environment variable holding a secret."""
    secret_variables = tuple(secret_variables)

    @run_failure_sensor(
        name="crm_run_failure_alert",
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            "Logs every failed run with a link to it and, when CRM_ALERT_WEBHOOK_URL is "
            "set, POSTs a JSON message (job, run id, link, error, time) to that URL."
        ),
    )
    def crm_run_failure_alert(context: RunFailureSensorContext, alert_webhook: AlertWebhook):
        redactor = Redactor(
            [os.getenv(v, "") for v in secret_variables] + [alert_webhook.url or ""]
        )
        message = failure_message(context, alert_webhook, redactor)
        context.log.error(f"{message['text']}\n{message['error']}")
        if alert_webhook.url:
            problem = alert_webhook.post(message)
            if problem:
                context.log.error(f"Run {message['run_id']}: {problem}; the alert was not sent.")

    return crm_run_failure_alert


def failure_message(
    context: RunFailureSensorContext, webhook: AlertWebhook, redactor: Redactor
) -> dict[str, Any]:
    run = context.dagster_run
    link = webhook.run_link(run.run_id)
    errors = [_error_text(event) for event in context.get_step_failure_events()]
    error = "\n\n".join(e for e in errors if e) or _run_error_text(context)
    record = context.instance.get_run_record_by_id(run.run_id)
    ended = record.end_time if record else None
    failed_at = datetime.fromtimestamp(ended, UTC) if ended else datetime.now(UTC)
    partition = run.tags.get("dagster/partition")
    on = f" (partition {partition})" if partition else ""
    reason = redactor.redact(_first_sentence(error))
    return {
        "text": f"Dagster run of {run.job_name}{on} failed: {reason}\n{link}",
        "job": run.job_name,
        "run_id": run.run_id,
        "partition": partition,
        "link": link,
        "error": redactor.redact(error)[:_MAX_ERROR_CHARS],
        "failed_at": failed_at.isoformat(),
    }


def _first_sentence(error: str) -> str:
    """What the alert's `text` says happened: the first line of the first error, without
    the step name before it, cut short if a line runs on."""
    line = error.strip().splitlines()[0] if error.strip() else "no error was recorded"
    step, colon, rest = line.partition(": ")
    if colon and " " not in step:  # "pipedrive_streams: Pipedrive rejected ..."
        line = rest
    return line if len(line) <= _MAX_REASON_CHARS else line[: _MAX_REASON_CHARS - 1] + "…"


def _run_error_text(context: RunFailureSensorContext) -> str:
    """The reason of a run that failed outside any step: the project's account of a dead
    worker, else the run failure's own error (a resource's setup Failure), else its
    message.

    A launched run whose worker and steps were all killed is failed by Dagster's code
    server within a second, before run monitoring or a step could give that account;
    so the alert writes it into the run's log when the worker is found dead here.
    """
    run = context.dagster_run
    worker = run.tags.get(WORKER_TAG)
    named = parse(worker)
    # A worker that reported the failure itself ended the run and then exited: only a
    # failure reported by another process (Dagster's code server) may mean it was killed.
    reported_by_worker = named is not None and context.failure_event.pid == named[1]
    if not reported_by_worker and named and liveness(worker) == Liveness.DEAD:
        report_gone(context.instance, run, worker, found_by="the failure alert")
    for record in context.instance.all_logs(run.run_id, of_type=DagsterEventType.ENGINE_EVENT):
        if (record.message or "").startswith(GONE):
            return record.message
    data = context.failure_event.job_failure_data
    error = data.error if data else None
    first = error
    while error is not None:
        # A resource's setup Failure, under any wrapper Dagster put around it, carries
        # its sentence after Dagster's class path.
        if error.cls_name == "Failure" and "Failure: " in error.message:
            return error.message.split("Failure: ", 1)[1].strip()
        error = error.cause
    if first is not None and first.message.strip():
        return first.message.strip()
    return context.failure_event.message or ""


def _error_text(event: Any) -> str:
    data = event.step_failure_data
    # A `Failure` raised by our assets carries the clear sentence as its description.
    described = data.user_failure_data.description if data and data.user_failure_data else None
    if described:
        return f"{event.step_key}: {described.strip()}"
    error = data.error if data else None
    chain = []
    while error is not None:
        chain.append(error)
        error = error.cause
    # Dagster wraps a step's own exception in one saying only which step failed.
    if len(chain) > 1 and chain[0].cls_name == "DagsterExecutionStepExecutionError":
        chain = chain[1:]
    # A Failure that reached the step without its description (a resource's, raised in
    # setup in a step process) says its sentence after Dagster's class path: drop it.
    failures = [e for e in chain if e.cls_name == "Failure" and "Failure: " in e.message]
    if failures:
        return f"{event.step_key}: {failures[0].message.split('Failure: ', 1)[1].strip()}"
    text = "\n  caused by ".join(e.message.strip() for e in chain)
    return f"{event.step_key}: {text}" if text else ""
