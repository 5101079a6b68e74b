"""The models give the same answers on SQLite and PostgreSQL, and load as agreed."""

from __future__ import annotations

import math

from dagster import DefaultSensorStatus

from crm_assets.definitions import build_definitions
from crm_assets.models import MODELS, build, model_key
from crm_assets.models.assets import AUTOMATION
from crm_assets_tests.models import data


def everything(warehouse) -> dict[str, list[tuple]]:
    data.nectarcrm(warehouse)
    data.pipedrive(warehouse, history=True)
    data.kommo(warehouse, history=True)
    data.odoo(warehouse)
    tables = {}
    for model in MODELS:
        build.rebuild(model, warehouse, data.SNAPSHOT)
        rows = warehouse.rows(model.name, order_by=list(model.order_by))
        tables[model.name] = [tuple(_rounded(v) for v in r.values()) for r in rows]
    return tables


def test_same_answers_on_sqlite_and_postgresql(sqlite_warehouse, postgres_warehouse):
    on_sqlite = everything(sqlite_warehouse)
    assert all(on_sqlite.values())
    assert everything(postgres_warehouse) == on_sqlite


def test_models_are_defined_as_agreed():
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    for model in MODELS:
        node = graph.get(model_key(model))
        assert node.group_name == "models"
        assert {"sql", "sqlite"} <= set(node.kinds)
        assert model.description in node.description
        assert node.partitions_def is None
        assert node.automation_condition == AUTOMATION
        assert {c.name for c in model.checks} == {
            k.name for k in graph.asset_check_keys if k.asset_key == model_key(model)
        }
    job = defs.resolve_job_def("models_refresh")
    assert {k for k in job.asset_layer.selected_asset_keys} == {model_key(m) for m in MODELS}
    sensor = defs.resolve_sensor_def("models_automation")
    assert sensor.default_status == DefaultSensorStatus.RUNNING


def _rounded(value):
    if isinstance(value, float) and not math.isnan(value):
        return round(value, 9)
    return value
