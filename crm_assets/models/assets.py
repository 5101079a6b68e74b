"""Dagster assets for the models, each checked before it is published.

Each model is an unpartitioned asset `models/<name>` in group `models`, depending
on the raw assets it reads, so lineage runs from vendor streams to analyses and
the automation sensor rebuilds a model after any of them is materialized. Its
checks are part of the asset: the build is staged, checked, and published only
when no blocking check objects, so a failed check leaves the published table as
it was and the run says which check failed and why.
"""

import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AutomationCondition,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from sqlalchemy.exc import DBAPIError

from crm_assets.core.warehouse import DEFAULT_URL, URL_VARIABLE, Warehouse
from crm_assets.models import build
from crm_assets.models.chart import funnel_chart
from crm_assets.models.funnel import FUNNEL
from crm_assets.models.odoo import PAYMENTS, QUOTATIONS
from crm_assets.models.settings import SETTINGS_KEY, ModelSettings
from crm_assets.models.spec import Model

GROUP = "models"
MODELS = (FUNNEL, PAYMENTS, QUOTATIONS)

# Plain eager() waits until no upstream partition is missing, which never happens for a
# model over daily partitions with gaps; without that term it fires on each update.
AUTOMATION = AutomationCondition.eager().without(~AutomationCondition.any_deps_missing())


def model_key(model: Model) -> AssetKey:
    return AssetKey([GROUP, model.name])


def build_models(raw_keys: Iterable[AssetKey], tables: build.Catalog) -> list[AssetsDefinition]:
    """Every model's asset, its checks its own (`check_specs`); `raw_keys` are the raw
    assets defined here and `tables` names every connection's tables (`build.catalog`).

    A model depends on the streams it reads of every connection of their source, keyed
    `<connection>/<stream>`, and only on raw assets that exist, so a connection not yet
    defined adds no dangling box to the graph; its model part stays empty until it is.
    """
    defined = set(raw_keys)
    return [_asset(model, _deps(model, tables, defined), tables) for model in MODELS]


def _deps(model: Model, tables: build.Catalog, defined: set[AssetKey]) -> list[AssetKey]:
    keys = [
        AssetKey([name, stream])
        for name, connection in tables.items()
        for source, stream in model.reads
        if source == connection.source
    ]
    return [k for k in keys if k in defined]


def _asset(model: Model, deps: list[AssetKey], tables: build.Catalog) -> AssetsDefinition:
    key = model_key(model)

    @asset(
        key=key,
        group_name=GROUP,
        kinds={"sql", _warehouse_kind()},
        description=_describe(model),
        deps=deps,
        automation_condition=AUTOMATION,
        check_specs=[
            AssetCheckSpec(c.name, asset=key, description=c.description, blocking=c.blocking)
            for c in model.checks
        ],
        required_resource_keys={"warehouse", SETTINGS_KEY},
    )
    def _model(context: AssetExecutionContext) -> Iterator:
        warehouse: Warehouse = context.resources.warehouse
        settings: ModelSettings = getattr(context.resources, SETTINGS_KEY)
        snapshot_date = datetime.now(UTC).date().isoformat()
        with _refused(model):
            built = build.rebuild(model, warehouse, snapshot_date, tables=tables, settings=settings)
        results = [_result(v) for v in built.verdicts]
        if built.blocked:
            yield from results
            raise Failure(
                description=_rejection(model, built.blocked),
                metadata={"failed_checks": ", ".join(v.check.name for v in built.blocked)},
            )
        for skipped in built.plan.skipped:
            context.log.info(f"{model.name}: {skipped}; that part contributes no rows")
        metadata = _metadata(model, warehouse, built.plan, snapshot_date)
        yield MaterializeResult(metadata=metadata, check_results=results)

    return _model


def _result(verdict: build.Verdict) -> AssetCheckResult:
    metadata = {"violations": verdict.count}
    if verdict.first:
        metadata["first_violations"] = MetadataValue.json([_jsonable(r) for r in verdict.first])
    return AssetCheckResult(
        check_name=verdict.check.name,
        passed=verdict.passed,
        severity=AssetCheckSeverity.ERROR if verdict.check.blocking else AssetCheckSeverity.WARN,
        metadata=metadata,
        description=verdict.check.description,
    )


def _rejection(model: Model, blocked: list[build.Verdict]) -> str:
    """One sentence first: which checks failed, and that nothing was published."""
    names = ", ".join(f"{v.check.name} ({v.count} rows)" for v in blocked)
    detail = "\n".join(
        f"- {v.check.name}: {v.check.description} First rows breaking it: "
        f"{json.dumps([_jsonable(r) for r in v.first[:3]])}"
        for v in blocked
    )
    return (
        f"{model.name} was not published: its blocking checks {names} failed, so the table "
        f"keeps its previous rows. The rejected build is in table {model.name}{build.STAGING_SUFFIX} for inspection.\n"
        f"{detail}"
    )


@contextmanager
def _refused(model: Model) -> Iterator[None]:
    """Turns the warehouse refusing the model's SQL into one sentence."""
    try:
        yield
    except DBAPIError as exc:
        # The driver's first line names the problem; the rest repeats the long SQL.
        problem = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise Failure(
            f"{model.name}: the warehouse refused the model's SQL ({problem}). The table "
            "keeps its previous rows; a raw column whose type changed is the usual cause."
        ) from None


def _metadata(model: Model, warehouse: Warehouse, plan: build.Plan, snapshot_date: str) -> dict:
    built_from = ", ".join(
        f"{s['connection']} (with history)" if s["history"] else s["connection"]
        for s in plan.sources
    )
    metadata = {
        **build.describe(model, warehouse),
        "table": model.name,
        "snapshot_date": snapshot_date,
        "built_from": built_from or "nothing: no raw tables yet",
        "skipped": "; ".join(plan.skipped) or "none",
        "include_archived": plan.settings.include_archived,
    }
    if model is FUNNEL:
        metadata["funnel"] = MetadataValue.md(funnel_chart(model, warehouse))
    return metadata


def _jsonable(row: dict) -> dict:
    return {k: v if isinstance(v, int | float | str | None) else str(v) for k, v in row.items()}


def _warehouse_kind() -> str:
    url = os.getenv(URL_VARIABLE) or DEFAULT_URL
    return "postgres" if url.startswith("postgres") else "sqlite"


def _describe(model: Model) -> str:
    reads = ", ".join(f"`{source}/{stream}`" for source, stream in model.reads)
    checks = "\n".join(
        f"- `{c.name}` ({'blocking' if c.blocking else 'warning'}): {c.description}"
        for c in model.checks
    )
    return (
        f"{model.description}\n\nTable `{model.name}`, built in full inside the warehouse on "
        f"each materialization from {reads} of every connection of those sources (assets "
        "`<connection>/<stream>`), checked, and published only when no blocking check "
        "fails (in one transaction). Rebuilt automatically after any of those is "
        f"materialized.\n\nChecks:\n{checks}"
    )
