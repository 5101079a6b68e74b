"""The funnel over tables a real Pipedrive sync wrote, against its emulator."""

from __future__ import annotations

from contextlib import contextmanager

from crm_assets.models.funnel import FUNNEL
from crm_assets_tests.models import data
from crm_assets_tests.sources.pipedrive.conftest import SMALL, harness

STREAMS = ["pipelines", "stages", "deals", "deals_flow"]


def test_the_funnel_reads_stage_history_from_a_synced_deal_flow(warehouse):
    with contextmanager(harness)(sizes={**SMALL, "deals": 60}) as pipedrive:
        assert pipedrive.run(warehouse, streams=STREAMS).success

    changes = [r for r in warehouse.rows("pipedrive_deals_flow") if r["field_key"] == "stage_id"]
    stage_ids = {str(r["id"]) for r in warehouse.rows("pipedrive_stages")}
    assert changes and {r["new_value"] for r in changes} <= stage_ids

    built = data.rebuild(FUNNEL, warehouse)
    assert [(s["source"], s["history"]) for s in built.plan.sources] == [("pipedrive", True)]
    assert {v.check.name: v.count for v in built.verdicts if not v.passed} == {}
    rows = warehouse.rows(FUNNEL.name)
    # Each pipeline's stages once per currency of its live deals (once, with no currency,
    # for a pipeline with none).
    stages = {}
    for stage in warehouse.rows("pipedrive_stages"):
        stages.setdefault(stage["pipeline_id"], set()).add(stage["id"])
    currencies = {}
    for deal in warehouse.rows("pipedrive_deals"):
        if not (deal["_deleted"] or deal["is_archived"]) and deal["status"] != "deleted":
            currencies.setdefault(deal["pipeline_id"], set()).add(deal["currency"])
    expected = {(p, c, s) for p, ids in stages.items() for c in currencies.get(p, {None})
                for s in ids}  # fmt: skip
    assert {(r["pipeline_id"], r["currency"], r["stage_id"]) for r in rows} == expected
    assert len(rows) == len(expected)
    assert any(r["avg_days_in_stage"] is not None for r in rows)
    assert sum(r["reached_from_history"] for r in rows) > 0
