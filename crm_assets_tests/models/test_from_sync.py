"""The funnel over tables a real Pipedrive sync wrote, against its emulator."""

from __future__ import annotations

from contextlib import contextmanager

from crm_assets.models import build
from crm_assets.models.funnel import FUNNEL
from crm_assets_tests.sources.pipedrive.conftest import SMALL, harness

STREAMS = ["pipelines", "stages", "deals", "deals_flow"]


def test_the_funnel_reads_stage_history_from_a_synced_deal_flow(warehouse):
    with contextmanager(harness)(sizes={**SMALL, "deals": 60}) as pipedrive:
        assert pipedrive.run(warehouse, streams=STREAMS).success

    changes = [r for r in warehouse.rows("pipedrive_deals_flow") if r["field_key"] == "stage_id"]
    stage_ids = {str(r["id"]) for r in warehouse.rows("pipedrive_stages")}
    assert changes and {r["new_value"] for r in changes} <= stage_ids

    built = build.rebuild(FUNNEL, warehouse, "2026-11-20")
    assert built.sources == [{"source": "pipedrive", "history": True}]
    rows = warehouse.rows(FUNNEL.name)
    assert len(rows) == len(warehouse.rows("pipedrive_stages"))
    assert any(r["avg_days_in_stage"] is not None for r in rows)
    for check in FUNNEL.checks:
        assert build.violations(check, FUNNEL, warehouse) == (0, []), check.name
