"""Run config as the launchpad, schedules and `dagster job execute -c` send it.

The code location binds secrets from the environment; run config that changes any
other setting must keep them, and the launchpad's default config must show every
setting without a secret's value.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from dagster import AssetKey, DagsterInstance, validate_run_config
from dagster._core.snap.snap_to_yaml import default_values_yaml_from_type_snap

from crm_assets.core.emulation import serve
from crm_assets.core.runtime.resource import DEPRECATED
from crm_assets.definitions import SOURCES, build_definitions
from crm_assets.sources.nectarcrm.emulator import NectarCrmEmulator
from crm_assets.sources.pipedrive.emulator import PipedriveEmulator
from crm_assets_tests.sources.nectarcrm import conftest as nectar
from crm_assets_tests.sources.pipedrive import conftest as pipedrive

TOKEN_VALUE = "a-token-that-must-not-show-9c1f"

# Per source: its emulator, the API's path under the served URL, and a stream to run
# with a setting overridden (and its sync mode switched) through run config.
CASES = {
    "nectarcrm": (
        lambda: NectarCrmEmulator(token=nectar.TOKEN, anchor=nectar.ANCHOR, sizes=nectar.SMALL),
        "/crm/api/1/",
        "contacts",
        {"requests_per_second": 500.0},
    ),
    "pipedrive": (
        lambda: PipedriveEmulator(
            token=pipedrive.TOKEN, anchor=pipedrive.ANCHOR, sizes=pipedrive.SMALL
        ),  # fmt: skip
        "/",
        "persons",
        {"requests_per_window": 50},
    ),
}


def _source(name: str):
    return next(s for s in SOURCES if s.name == name)


def _resource_config(job, run_config: dict) -> dict[str, Any]:
    return validate_run_config(job, run_config)["resources"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_run_with_overridden_settings_keeps_the_token_from_the_environment(
    name, monkeypatch, tmp_path
):
    make_emulator, path, stream, setting = CASES[name]
    source = _source(name)
    emulator = make_emulator()
    monkeypatch.setenv(source.resource.SECRET_VARIABLE, emulator.token)
    monkeypatch.setenv("CRM_WAREHOUSE_URL", f"sqlite:///{tmp_path / 'warehouse.db'}")
    job = build_definitions().resolve_job_def(f"{name}_sync")
    with serve(emulator) as url, DagsterInstance.ephemeral() as instance:
        overrides = {"base_url": url + path, **setting, "sync_modes": {stream: "FULL_TABLE"}}
        result = job.execute_in_process(
            run_config={"resources": {name: {"config": overrides}}},
            partition_key=nectar.ANCHOR.isoformat(),
            asset_selection=[AssetKey([name, stream])],
            instance=instance,
            raise_on_error=False,
        )
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    (materialization,) = result.get_asset_materialization_events()
    metadata = materialization.materialization.metadata
    assert metadata["sync_mode"].value == "FULL_TABLE"
    assert metadata["records_read"].value > 0
    assert {r.status for r in emulator.requests} == {200}


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.name)
def test_restating_any_one_setting_in_run_config_changes_nothing_else(source, monkeypatch):
    monkeypatch.setenv(source.resource.SECRET_VARIABLE, TOKEN_VALUE)
    monkeypatch.setenv("CRM_WAREHOUSE_URL", "sqlite:///elsewhere.db")
    job = build_definitions().resolve_job_def(f"{source.name}_sync")
    bound = _resource_config(job, {})
    assert bound[source.name]["config"][source.resource.SECRET_FIELD] == TOKEN_VALUE
    for key, resource in bound.items():
        for setting, value in resource["config"].items():
            if setting == source.resource.SECRET_FIELD and key == source.name:
                continue
            run_config = {"resources": {key: {"config": {setting: value}}}}
            assert _resource_config(job, run_config) == bound, f"{key}.{setting}"


def test_demo_mode_survives_an_overridden_setting(monkeypatch):
    monkeypatch.setenv("CRM_ASSETS_DEMO", "1")
    for source in SOURCES:
        job = build_definitions().resolve_job_def(f"{source.name}_sync")
        config = {"resources": {source.name: {"config": {"max_attempts": 2}}}}
        resolved = _resource_config(job, config)[source.name]["config"]
        assert resolved["base_url"].startswith(f"http://{source.name}.demo.invalid/")
        assert resolved["max_attempts"] == 2


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.name)
def test_the_launchpad_default_shows_every_setting_and_no_secret(source, monkeypatch):
    monkeypatch.setenv(source.resource.SECRET_VARIABLE, TOKEN_VALUE)
    monkeypatch.setenv("CRM_WAREHOUSE_URL", f"postgresql+psycopg://u:{TOKEN_VALUE}@h/db")
    job = build_definitions().resolve_job_def(f"{source.name}_sync")
    snapshot = job.get_job_snapshot()
    schema = snapshot.config_schema_snapshot
    root = schema.get_config_snap(snapshot.mode_def_snaps[0].root_config_key)
    text = default_values_yaml_from_type_snap(schema, root)

    assert TOKEN_VALUE not in text
    resources = yaml.safe_load(text)["resources"]
    config = resources[source.name]["config"]
    # Every setting but the deprecated ones, which are unset unless a user sets them.
    assert set(config) == set(source.resource.model_fields) - set(DEPRECATED)
    assert config[source.resource.SECRET_FIELD] == {"env": source.resource.SECRET_VARIABLE}
    assert config["sync_modes"] == {s.name: str(s.sync_mode) for s in source.streams}
    assert resources["warehouse"]["config"]["url"] == {"env": "CRM_WAREHOUSE_URL"}
