"""The funnel on hand-built raw tables, with and without stage history, on both warehouses."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from crm_assets.models import build
from crm_assets.models.funnel import FUNNEL, NAME
from crm_assets_tests.models import data

STAGE = ("pipeline_id", "stage_id", "stage_name", "stage_position")
COUNTS = ("open_deals", "open_value", "reached_deals", "won_deals", "won_value", "lost_deals",
          "lost_value")  # fmt: skip


def funnel(warehouse, source: str) -> list[dict]:
    rows = warehouse.rows(NAME, order_by=["source", "pipeline_id", "stage_position"])
    return [r for r in rows if r["source"] == source]


def shape(rows: list[dict], columns) -> list[tuple]:
    return [tuple(r[c] for c in columns) for r in rows]


def test_nectarcrm_funnel_from_positions(warehouse):
    data.nectarcrm(warehouse)
    built = build.rebuild(FUNNEL, warehouse, data.SNAPSHOT)
    assert built.sources[0] == {"source": "nectarcrm", "history": False}

    rows = funnel(warehouse, "nectarcrm")
    # The qualification pipeline (tipo 1) holds no deals and is not a sales funnel.
    assert shape(rows, STAGE) == [(1, 11, "A", 1), (1, 12, "B", 2), (1, 13, "C", 3)]
    # Discarded (status 4) counts as lost; the deleted opportunity is left out.
    assert shape(rows, COUNTS) == [
        (1, 10.0, 5, 0, 0.0, 1, 50.0),
        (1, 20.0, 3, 0, 0.0, 1, 40.0),
        (0, 0.0, 1, 1, 30.0, 0, 0.0),
    ]
    assert [r["conversion_from_previous"] for r in rows] == [None, 0.6, pytest.approx(1 / 3)]
    assert {(r["reached_from"], r["avg_days_in_stage"], r["snapshot_date"]) for r in rows} == {
        ("position", None, data.SNAPSHOT)
    }


def test_pipedrive_funnel_from_positions(warehouse):
    data.pipedrive(warehouse, history=False)
    build.rebuild(FUNNEL, warehouse, data.SNAPSHOT)

    rows = funnel(warehouse, "pipedrive")
    assert shape(rows, STAGE) == [(1, 1, "Lead", 1), (1, 2, "Demo", 2), (1, 3, "Proposal", 3)]
    assert shape(rows, COUNTS) == [
        (1, 100.0, 4, 0, 0.0, 0, 0.0),
        (1, 200.0, 3, 0, 0.0, 1, 400.0),
        (0, 0.0, 1, 1, 300.0, 0, 0.0),
    ]
    assert [r["conversion_from_previous"] for r in rows] == [None, 0.75, pytest.approx(1 / 3)]
    assert {r["reached_from"] for r in rows} == {"position"}
    assert [r["avg_days_in_stage"] for r in rows] == [None, None, None]


def test_pipedrive_funnel_from_deal_flow(warehouse):
    data.pipedrive(warehouse, history=True)
    build.rebuild(FUNNEL, warehouse, data.SNAPSHOT)

    rows = funnel(warehouse, "pipedrive")
    # Deal 104 went to Proposal and back to Demo: it reached Proposal.
    assert shape(rows, COUNTS) == [
        (1, 100.0, 4, 0, 0.0, 0, 0.0),
        (1, 200.0, 3, 0, 0.0, 1, 400.0),
        (0, 0.0, 2, 1, 300.0, 0, 0.0),
    ]
    assert [r["conversion_from_previous"] for r in rows] == [None, 0.75, pytest.approx(2 / 3)]
    assert {r["reached_from"] for r in rows} == {"history"}
    # Lead: 2, 1 and 1.5 days; Demo: deal 103's 4 days (104 is still there);
    # Proposal: deal 104's 2 days. The deleted deal's history is left out.
    assert [r["avg_days_in_stage"] for r in rows] == [
        pytest.approx(1.5),
        pytest.approx(4.0),
        pytest.approx(2.0),
    ]


def test_kommo_funnel_from_positions(warehouse):
    data.kommo(warehouse, history=False)
    build.rebuild(FUNNEL, warehouse, data.SNAPSHOT)

    rows = funnel(warehouse, "kommo")
    # 142 (won) and 143 (lost) are outcomes, not stages. Without history a won lead
    # counts at the last stage and a lost one at the first.
    assert shape(rows, STAGE) == [(7, 70, "Incoming", 10), (7, 71, "Contacted", 20),
                                  (7, 72, "Offer", 30)]  # fmt: skip
    assert shape(rows, COUNTS) == [
        (1, 5.0, 4, 0, 0.0, 1, 13.0),
        (0, 0.0, 2, 0, 0.0, 0, 0.0),
        (1, 7.0, 2, 1, 11.0, 0, 0.0),
    ]
    assert [r["conversion_from_previous"] for r in rows] == [None, 0.5, 1.0]
    assert {r["reached_from"] for r in rows} == {"position"}


def test_kommo_funnel_from_status_events(warehouse):
    data.kommo(warehouse, history=True)
    build.rebuild(FUNNEL, warehouse, data.SNAPSHOT)

    rows = funnel(warehouse, "kommo")
    # Lead 203 was won from Contacted, 204 lost from Offer (after skipping Contacted).
    assert shape(rows, COUNTS) == [
        (1, 5.0, 4, 0, 0.0, 0, 0.0),
        (0, 0.0, 3, 1, 11.0, 0, 0.0),
        (1, 7.0, 2, 0, 0.0, 1, 13.0),
    ]
    assert [r["conversion_from_previous"] for r in rows] == [None, 0.75, pytest.approx(2 / 3)]
    assert {r["reached_from"] for r in rows} == {"history"}
    assert [r["avg_days_in_stage"] for r in rows] == [
        pytest.approx(4 / 3),
        pytest.approx(2.0),
        pytest.approx(1.0),
    ]


def test_every_crm_in_one_table_and_missing_sources_add_nothing(warehouse):
    built = build.rebuild(FUNNEL, warehouse, data.SNAPSHOT)
    assert built.sources == [] and len(built.skipped) == 3
    assert _count(warehouse) == 0

    data.nectarcrm(warehouse)
    data.kommo(warehouse, history=True)
    built = build.rebuild(FUNNEL, warehouse, data.SNAPSHOT)
    assert [s["source"] for s in built.sources] == ["nectarcrm", "kommo"]
    assert built.skipped == ["pipedrive: no table pipedrive_pipelines, table pipedrive_stages, "
                             "table pipedrive_deals"]  # fmt: skip
    assert _count(warehouse) == 6

    data.pipedrive(warehouse, history=True)
    build.rebuild(FUNNEL, warehouse, data.SNAPSHOT)
    assert _count(warehouse) == 9
    # A rebuild replaces the rows: running it again gives the same table.
    first = warehouse.rows(NAME, order_by=["source", "pipeline_id", "stage_position"])
    build.rebuild(FUNNEL, warehouse, data.SNAPSHOT)
    assert warehouse.rows(NAME, order_by=["source", "pipeline_id", "stage_position"]) == first


def test_a_history_table_without_the_columns_read_falls_back_to_positions(warehouse):
    data.pipedrive(warehouse, history=False)
    # A deal flow synced before it had old_value/new_value columns.
    data.write(warehouse, "pipedrive_deals_flow",
               [{"deal_id": 101, "object": "dealChange", "id": 1, "field_key": "stage_id"}],
               key=("deal_id", "object", "id"))  # fmt: skip
    built = build.rebuild(FUNNEL, warehouse, data.SNAPSHOT)
    assert built.sources == [{"source": "pipedrive", "history": False}]


def _count(warehouse) -> int:
    with warehouse.engine.connect() as connection:
        return connection.execute(sa.text(f"SELECT COUNT(*) FROM {NAME}")).scalar_one()  # noqa: S608
