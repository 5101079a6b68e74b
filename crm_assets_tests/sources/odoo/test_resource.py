"""OdooResource: missing settings fail clearly at setup; secrets never reach the UI."""

from __future__ import annotations

import pytest
from dagster import DagsterEventType

from crm_assets.sources.odoo.resource import OdooResource


def failure_text(result) -> str:
    events = [e for e in result.all_events if e.event_type == DagsterEventType.RUN_FAILURE]
    events += [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    return "\n".join(str(e.event_specific_data) for e in events)


@pytest.mark.parametrize(
    "overrides, named",
    [
        ({"api_key": None}, "ODOO_API_KEY"),
        ({"base_url": ""}, "ODOO_URL"),
        ({"protocol": "soap"}, "protocol is 'soap'"),
    ],
)
def test_a_missing_or_bad_setting_fails_the_run_naming_it(make_odoo, sqlite_warehouse,
                                                          overrides, named):  # fmt: skip
    running = make_odoo()
    result = running.run(sqlite_warehouse, streams=["payment"], raise_on_error=False, **overrides)
    assert not result.success
    assert named in failure_text(result)
    assert running.emulator.count() == 0


def test_from_env_binds_secrets_as_variables_so_the_ui_shows_names(monkeypatch):
    monkeypatch.setenv("ODOO_URL", "https://mutual.example.invalid")
    monkeypatch.setenv("ODOO_API_KEY", "odoo-secret-value-123")
    monkeypatch.setenv("ODOO_DATABASE", "mutual")
    resource = OdooResource.from_env()
    shown = repr(resource.get_resource_definition().config_schema.default_value)
    assert "odoo-secret-value-123" not in shown
    assert "ODOO_API_KEY" in shown and "ODOO_URL" in shown and "ODOO_DATABASE" in shown


def test_demo_mode_needs_no_setting(monkeypatch):
    monkeypatch.setenv("CRM_ASSETS_DEMO", "1")
    resource = OdooResource.from_env()
    assert resource.is_demo
    with resource.client() as client:
        assert client.get_json("web/version")["version_info"][0] == 19
