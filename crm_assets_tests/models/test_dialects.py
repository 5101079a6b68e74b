"""The models give the same answers on SQLite and PostgreSQL, and load as agreed."""

from __future__ import annotations

import math

import sqlalchemy as sa
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
    # Empty values where the dialects differ unless told: a stage with no position, a
    # deal that cannot be placed, a lead with no price.
    data.write(warehouse, "pipedrive_stages", [{"id": 4, "name": "Unordered", "order_nr": None,
               "pipeline_id": 1, "is_deleted": False}])  # fmt: skip
    data.write(warehouse, "pipedrive_deals", [
        {"id": 150, "pipeline_id": 1, "stage_id": 4, "status": "open", "value": 3,
         "currency": "USD", "is_deleted": False, "is_archived": False, "add_time": data.at(1)},
        {"id": 151, "pipeline_id": 1, "stage_id": 77, "status": "won", "value": None,
         "currency": None, "is_deleted": False, "is_archived": False, "add_time": data.at(1)},
    ])  # fmt: skip
    data.write(warehouse, "kommo_leads", [{"id": 250, "pipeline_id": 7, "status_id": 71,
               "price": None, "created_at": data.at(2)}])  # fmt: skip
    tables = {}
    for model in MODELS:
        assert not data.rebuild(model, warehouse).blocked
        rows = _ordered(warehouse, model)
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


def _ordered(warehouse, model) -> list[dict]:
    # Every column, in the model's own order, empty values last: a full sort key.
    table = sa.Table(model.name, sa.MetaData(), autoload_with=warehouse.engine)
    columns = [*model.order_by, *(c.name for c in model.columns if c.name not in model.order_by)]
    query = sa.select(table).order_by(*build.ordering(table, columns))
    with warehouse.engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(query)]


def _rounded(value):
    if isinstance(value, float) and not math.isnan(value):
        return round(value, 9)
    return value
