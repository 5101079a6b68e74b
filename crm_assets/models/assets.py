"""Dagster assets and asset checks for the models.

Each model is an unpartitioned asset `models/<name>` in group `models`, depending
on the raw assets it reads, so lineage runs from vendor streams to analyses and
the automation sensor rebuilds a model after any of them is materialized.
"""

import os
from collections.abc import Iterable
from datetime import UTC, datetime

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AutomationCondition,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)
from sqlalchemy.exc import DBAPIError

from crm_assets.core.warehouse import DEFAULT_URL, URL_VARIABLE, Warehouse
from crm_assets.models import build
from crm_assets.models.funnel import FUNNEL
from crm_assets.models.odoo import PAYMENTS, QUOTATIONS
from crm_assets.models.spec import Check, Model

GROUP = "models"
MODELS = (FUNNEL, PAYMENTS, QUOTATIONS)

# Plain eager() waits until no upstream partition is missing, which never happens for a
# model over daily partitions with gaps; without that term it fires on each update.
AUTOMATION = AutomationCondition.eager().without(~AutomationCondition.any_deps_missing())


def model_key(model: Model) -> AssetKey:
    return AssetKey([GROUP, model.name])


def build_models(raw_keys: Iterable[AssetKey]) -> tuple[list[AssetsDefinition], list]:
    """Every model's asset and checks; `raw_keys` are the raw assets defined here.

    A model depends only on raw assets that exist, so a source not yet registered
    adds no dangling box to the graph; its model part stays empty until it is.
    """
    defined = set(raw_keys)
    assets, checks = [], []
    for model in MODELS:
        deps = [AssetKey(list(k)) for k in model.reads if AssetKey(list(k)) in defined]
        assets.append(_asset(model, deps))
        checks += [_check(model, check) for check in model.checks]
    return assets, checks


def _asset(model: Model, deps: list[AssetKey]) -> AssetsDefinition:
    @asset(
        key=model_key(model),
        group_name=GROUP,
        kinds={"sql", _warehouse_kind()},
        description=_describe(model),
        deps=deps,
        automation_condition=AUTOMATION,
    )
    def _model(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
        snapshot_date = datetime.now(UTC).date().isoformat()
        try:
            built = build.rebuild(model, warehouse, snapshot_date)
        except DBAPIError as exc:
            # The driver's first line names the problem; the rest repeats the long SQL.
            problem = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            raise Failure(
                f"{model.name}: the warehouse refused the model's SQL ({problem}). The table "
                "keeps its previous rows; a raw column whose type changed is the usual cause."
            ) from None
        for skipped in built.skipped:
            context.log.info(f"{model.name}: {skipped}; that part contributes no rows")
        built_from = ", ".join(
            f"{s['source']} (with history)" if s["history"] else s["source"] for s in built.sources
        )
        return MaterializeResult(
            metadata={
                **build.describe(model, warehouse),
                "table": model.name,
                "snapshot_date": snapshot_date,
                "built_from": built_from or "nothing: no raw tables yet",
                "skipped": "; ".join(built.skipped) or "none",
            }
        )

    return _model


def _check(model: Model, check: Check):
    @asset_check(
        asset=model_key(model),
        name=check.name,
        description=check.description,
        blocking=True,
    )
    def _run(context: AssetCheckExecutionContext, warehouse: Warehouse) -> AssetCheckResult:
        count, first = build.violations(check, model, warehouse)
        metadata = {"violations": count}
        if first:
            metadata["first_violations"] = MetadataValue.json([_jsonable(r) for r in first])
        return AssetCheckResult(passed=count == 0, metadata=metadata)

    return _run


def _jsonable(row: dict) -> dict:
    return {k: v if isinstance(v, int | float | str | None) else str(v) for k, v in row.items()}


def _warehouse_kind() -> str:
    url = os.getenv(URL_VARIABLE) or DEFAULT_URL
    return "postgres" if url.startswith("postgres") else "sqlite"


def _describe(model: Model) -> str:
    reads = ", ".join(f"`{source}/{stream}`" for source, stream in model.reads)
    checks = "\n".join(f"- `{c.name}`: {c.description}" for c in model.checks)
    return (
        f"{model.description}\n\nTable `{model.name}`, rebuilt in full inside the warehouse "
        f"on each materialization (in one transaction), from {reads}. Rebuilt automatically "
        f"after any of those is materialized.\n\nChecks (blocking):\n{checks}"
    )
