"""A malformed CRM_PII_POLICY or ODOO_MODELS fails the runs that need it, never the
code location: every job, schedule and sensor loads, the failure alert reports the
failed run with the setting's own message, and the other sources still run.

Both variables are read when the definitions are built, so each case sets them, then
builds the definitions in demo mode as a deployment's code server would.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from dagster import AssetKey, DagsterInstance

from crm_assets.alerts import AlertWebhook
from crm_assets.core.demo import DEMO_VARIABLE
from crm_assets.definitions import build_definitions
from crm_assets_tests.test_alerts import Captured, evaluate

KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
# The key pasted into the policy's variable too: the message says where, not what.
BAD_POLICIES = ["hash: email", KEY, '{"hash": "email"}', '{"hash": ["mail"]}']
PIPEDRIVE_OWN_POLICY = {"resources": {"pipedrive": {"config": {"privacy": {"mask": ["email"]}}}}}


def _load_and_run(monkeypatch, tmp_path, env: dict, failing, healthy, healthy_config=None) -> dict:
    """Build the definitions with `env` set, run the `failing` stream's job and alert on
    its failure, then run the `healthy` one; what was seen, as the UI would show it."""
    monkeypatch.setenv(DEMO_VARIABLE, "1")
    monkeypatch.setenv("CRM_WAREHOUSE_URL", f"sqlite:///{tmp_path / 'warehouse.db'}")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    defs = build_definitions()
    partition = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    seen = {
        "jobs": sorted(j.name for j in defs.jobs),
        "schedules": sorted(s.name for s in defs.schedules),
        "sensors": sorted(s.name for s in defs.sensors),
    }

    def run(instance, source, stream, config=None):
        job = defs.resolve_job_def(f"{source}_sync")
        return job.execute_in_process(
            instance=instance, partition_key=partition, raise_on_error=False,
            asset_selection=[AssetKey([source, stream])], run_config=config or {},
        )  # fmt: skip

    with DagsterInstance.ephemeral() as instance:
        failed = run(instance, *failing)
        seen["failed"] = not failed.success
        captured = Captured()
        sensor = defs.resolve_sensor_def("crm_run_failure_alert")
        evaluate(failed, instance, AlertWebhook(), captured, sensor=sensor)
        seen["alert"] = captured.text
        seen["logs"] = "\n".join(str(record) for record in instance.all_logs(failed.run_id))
        seen["healthy"] = run(instance, *healthy, config=healthy_config).success
    return seen


def _assert_everything_loaded(seen: dict) -> None:
    assert {"nectarcrm_sync", "pipedrive_sync", "kommo_sync", "odoo_sync"} <= set(seen["jobs"])
    assert {"erase_data_subject", "all_sources_sync"} <= set(seen["jobs"])
    assert len(seen["schedules"]) >= 8
    assert "crm_run_failure_alert" in seen["sensors"]


@pytest.mark.parametrize("value", BAD_POLICIES)
def test_a_malformed_policy_fails_the_sources_runs_and_is_alerted(value, monkeypatch, tmp_path):
    seen = _load_and_run(
        monkeypatch,
        tmp_path,
        {"CRM_PII_POLICY": value},
        failing=["kommo", "users"],
        # A source whose own privacy setting replaces the default is not held by it.
        healthy=["pipedrive", "users"],
        healthy_config=PIPEDRIVE_OWN_POLICY,
    )
    _assert_everything_loaded(seen)
    assert seen["failed"] and seen["healthy"]
    said = {
        "hash: email": "Kommo: CRM_PII_POLICY is not JSON (Expecting value at character 0)",
        KEY: "Kommo: CRM_PII_POLICY is not JSON (Extra data at character 1)",
        '{"hash": "email"}': "Kommo: CRM_PII_POLICY must map actions to lists",
        '{"hash": ["mail"]}': "Kommo: CRM_PII_POLICY: privacy: 'mail' (under hash) is neither",
    }[value]
    assert said in seen["alert"], seen["alert"]
    assert KEY[8:] not in json.dumps(seen)


def test_malformed_odoo_models_fail_odoo_runs_and_are_alerted(monkeypatch, tmp_path):
    seen = _load_and_run(
        monkeypatch,
        tmp_path,
        {"ODOO_MODELS": "res.partner;drop table"},
        failing=["odoo", "policy"],
        healthy=["pipedrive", "users"],
    )
    _assert_everything_loaded(seen)
    assert seen["failed"] and seen["healthy"]
    assert "Odoo: ODOO_MODELS names 'res.partner;drop', 'table'" in seen["alert"], seen["alert"]


def test_the_shared_policy_may_name_every_sources_tables(monkeypatch, tmp_path):
    """CRM_PII_POLICY names tables of several sources: each runs, and a table no source
    has fails them all."""
    policy = {"drop": ["nectarcrm_contacts.cpf", "pipedrive_persons__phones.value"]}
    seen = _load_and_run(
        monkeypatch,
        tmp_path,
        {"CRM_PII_POLICY": json.dumps({**policy, "mask": ["pipedrive_user.email"]})},
        failing=["kommo", "users"],
        healthy=["pipedrive", "persons"],
        healthy_config={"resources": {"pipedrive": {"config": {"privacy": policy}}}},
    )
    assert seen["failed"] and seen["healthy"]
    assert "'pipedrive_user.email' (under mask) names no table" in seen["alert"]
    assert "the nearest is 'pipedrive_users'" in seen["alert"]
