"""Several accounts of one source in one code location: each under its own names,
every one of them in the models, the launcher, the erasure job and the alert."""

from __future__ import annotations

import logging
from contextlib import ExitStack
from datetime import date

import pytest
import sqlalchemy as sa
from dagster import AssetKey, DagsterInstance, build_run_status_sensor_context, job, op

from crm_assets.alerts import ALERTS_KEY, AlertWebhook
from crm_assets.automation import SOURCES_TAG
from crm_assets.core.emulation import serve
from crm_assets.core.runtime.assets import FULL_SYNC_TAG
from crm_assets.sources.pipedrive.emulator import PipedriveEmulator
from crm_assets_tests.connections.projects import connection_yaml

ANCHOR = date(2026, 11, 20)
SIZES = {"deals": 40, "persons": 30, "organizations": 10, "activities": 10, "notes": 5,
         "products": 5}  # fmt: skip
STREAMS = ("pipelines", "stages", "deals", "persons")
# Connection -> (the emulator it reads, the variable holding its token).
CONNECTIONS = {"pd_a": ("a", "PD_A_TOKEN"), "pd_b": ("b", "PD_B_TOKEN"), "pd_c": ("a", "SHARED")}
TOKENS = {"a": "token-of-account-a-51e7", "b": "token-of-account-b-9c03"}


@pytest.fixture
def accounts(project, monkeypatch, tmp_path):
    """Three Pipedrive connections in one warehouse: pd_a and pd_b read two different
    accounts, pd_c the same account as pd_a (under its own prefix and token variable)."""
    with ExitStack() as stack:
        urls = {
            account: stack.enter_context(
                serve(
                    PipedriveEmulator(token=TOKENS[account], anchor=ANCHOR, seed=seed, sizes=SIZES)
                )
            )  # fmt: skip
            for account, seed in (("a", 11), ("b", 12))
        }
        for name, (account, variable) in CONNECTIONS.items():
            monkeypatch.setenv(variable, TOKENS[account])
            project.declare(
                name,
                connection_yaml(
                    "PipedriveConnection", base_url=urls[account], api_token_env_var=variable,
                    start_date="2026-01-01", requests_per_window=1000, backoff_seconds=0.01,
                ),
            )  # fmt: skip
        monkeypatch.setenv("CRM_WAREHOUSE_URL", f"sqlite:///{tmp_path / 'warehouse.db'}")
        monkeypatch.setenv("CRM_PII_KEY", "pii-key-for-connections-test")
        defs = project.definitions()
        with DagsterInstance.ephemeral() as instance:
            for name in CONNECTIONS:
                assert defs.resolve_job_def(f"{name}_sync").execute_in_process(
                    partition_key=ANCHOR.isoformat(), instance=instance,
                    tags={FULL_SYNC_TAG: "true"}, asset_selection=[AssetKey([name, s]) for s in STREAMS],
                ).success  # fmt: skip
            yield defs, instance, sa.create_engine(f"sqlite:///{tmp_path / 'warehouse.db'}")


def _rows(engine, sql: str) -> list[dict]:
    """Rows of `sql`, which names tables of the connections above only."""
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(sa.text(sql))]


def test_each_account_is_in_the_funnel_under_its_connection(accounts):
    defs, instance, engine = accounts
    assert defs.resolve_job_def("models_refresh").execute_in_process(instance=instance).success
    funnel = _rows(engine, "SELECT * FROM crm_pipeline_stage_funnel")
    by_connection = {
        name: sorted(
            (r["pipeline_id"], r["currency"], r["stage_name"], r["open_deals"], r["won_deals"])
            for r in funnel
            if r["connection"] == name
        )
        for name in CONNECTIONS
    }
    assert all(by_connection.values())
    assert {r["source"] for r in funnel} == {"pipedrive"}
    # The same account under two connections counts the same; another account differs.
    assert by_connection["pd_a"] == by_connection["pd_c"]
    assert by_connection["pd_a"] != by_connection["pd_b"]
    for name in CONNECTIONS:
        live = _rows(engine, f"SELECT COUNT(*) AS n FROM {name}_deals WHERE NOT _deleted "  # noqa: S608
                             "AND COALESCE(is_deleted, 0) = 0 AND COALESCE(is_archived, 0) = 0")  # fmt: skip
        counted = sum(
            r["open_deals"] + r["won_deals"] + r["lost_deals"]
            for r in funnel
            if r["connection"] == name
        )
        assert counted == live[0]["n"], name


def test_all_sources_sync_plans_every_connection(accounts):
    defs, instance, _ = accounts
    result = defs.resolve_job_def("all_sources_sync").execute_in_process(
        instance=instance,
        run_config={"ops": {"plan_all_sources_sync": {"config": {"partition": "2026-11-20"}}}},
    )
    tags = instance.get_run_by_id(result.run_id).tags
    assert sorted(tags[SOURCES_TAG].split(",")) == sorted(CONNECTIONS)


def test_erasure_reaches_every_connection(accounts):
    defs, instance, engine = accounts
    [person] = _rows(engine, "SELECT _parent_id AS id, value AS email FROM pd_a_persons__emails "
                             "ORDER BY _parent_id LIMIT 1")  # fmt: skip
    email = person["email"]
    before = {
        name: _rows(engine, f"SELECT id FROM {name}_persons WHERE id = {person['id']}")  # noqa: S608
        for name in ("pd_a", "pd_c")
    }
    assert all(before.values())
    result = defs.resolve_job_def("erase_data_subject").execute_in_process(
        instance=instance,
        run_config={"ops": {"erase_subject": {"config": {"email": email, "mode": "delete"}}}},
    )
    assert result.success
    for name in ("pd_a", "pd_c"):
        gone = f"SELECT id FROM {name}_persons WHERE id = {person['id']}"  # noqa: S608
        assert not _rows(engine, gone), name


def test_the_failure_alert_redacts_every_connections_token(accounts):
    defs, instance, _ = accounts

    @op
    def leaks() -> None:
        raise RuntimeError(f"refused {TOKENS['b']} and {TOKENS['a']}")

    @job
    def failing():
        leaks()

    result = failing.execute_in_process(instance=instance, raise_on_error=False)
    [failure] = [e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE"]
    context = build_run_status_sensor_context(
        sensor_name="crm_run_failure_alert", dagster_event=failure, dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id), resources={ALERTS_KEY: AlertWebhook()},
    ).for_run_failure()  # fmt: skip
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    context.log.addHandler(handler)
    defs.resolve_sensor_def("crm_run_failure_alert")(context)
    said = "\n".join(lines)
    assert "refused" in said
    assert TOKENS["a"] not in said and TOKENS["b"] not in said
