"""The funnel over tables real Pipedrive syncs wrote, against its emulator."""

from __future__ import annotations

from contextlib import contextmanager

from crm_assets.models import build
from crm_assets.models.funnel import FUNNEL
from crm_assets.sources.pipedrive.streams import SOURCE as PIPEDRIVE
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


def test_two_synced_pipedrive_accounts_each_match_their_own_raw_deals(warehouse):
    # Two accounts of different data (another seed, another size) under two prefixes:
    # both number their pipelines, stages and deals from 1.
    accounts = {"pipedrive": ("pipedrive_", 11, 60), "pipedrive_latam": ("latam_", 12, 40)}
    for prefix, seed, deals in accounts.values():
        with contextmanager(harness)(seed=seed, sizes={**SMALL, "deals": deals}) as pipedrive:
            assert pipedrive.run(warehouse, streams=STREAMS, table_prefix=prefix).success
    tables = build.catalog((name, PIPEDRIVE, prefix) for name, (prefix, _, _) in accounts.items())

    built = data.rebuild(FUNNEL, warehouse, tables)
    assert [(s["connection"], s["history"]) for s in built.plan.sources] == [
        ("pipedrive", True), ("pipedrive_latam", True),
    ]  # fmt: skip
    assert {v.check.name: v.count for v in built.verdicts if not v.passed} == {}
    funnel = {name: _outcomes(warehouse.rows(FUNNEL.name), name) for name in accounts}
    # Counted straight from each account's raw deals, in Python: the same figures.
    raw = {name: _raw_outcomes(warehouse.rows(f"{prefix}deals"))
           for name, (prefix, _, _) in accounts.items()}  # fmt: skip
    assert funnel == raw
    assert funnel["pipedrive"] != funnel["pipedrive_latam"]
    # The same pipeline and stage ids in both accounts, kept apart.
    stages = [{(r["pipeline_id"], r["stage_id"]) for r in warehouse.rows(FUNNEL.name)
               if r["connection"] == name and r["stage_id"]} for name in accounts]  # fmt: skip
    assert stages[0] & stages[1]


def _outcomes(rows: list[dict], connection: str) -> dict:
    totals = {}
    for row in rows:
        if row["connection"] == connection:
            key = (row["pipeline_id"], row["currency"])
            for outcome in ("open", "won", "lost"):
                deals, value = totals.get((*key, outcome), (0, 0.0))
                totals[(*key, outcome)] = (
                    deals + row[f"{outcome}_deals"], round(value + row[f"{outcome}_value"], 2)
                )  # fmt: skip
    return {k: v for k, v in totals.items() if v[0]}


def _raw_outcomes(deals: list[dict]) -> dict:
    totals = {}
    for deal in deals:
        if deal["_deleted"] or deal["is_deleted"] or deal["is_archived"]:
            continue
        if deal["status"] in ("open", "won", "lost"):
            key = (deal["pipeline_id"], deal["currency"], deal["status"])
            count, value = totals.get(key, (0, 0.0))
            totals[key] = (count + 1, round(value + (deal["value"] or 0), 2))
    return totals
