"""Build a model's table inside the warehouse and describe it.

A rebuild deletes and re-inserts every row in one transaction, so readers see the
old table or the new one, never a half-built one; the table is re-created only
when the model's columns changed. Nothing is read into Python but a preview.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from dagster import MetadataValue, TableColumn, TableSchema

from crm_assets.core import schema
from crm_assets.core.warehouse import Warehouse
from crm_assets.models import templates
from crm_assets.models.spec import Check, Model

PREVIEW_ROWS = 10


@dataclass(frozen=True)
class Plan:
    """Which parts of a model can be built from the tables in the warehouse."""

    sources: list[dict[str, Any]]
    skipped: list[str]

    @property
    def variables(self) -> dict[str, Any]:
        return {"sources": self.sources, "available": bool(self.sources)}


def plan(model: Model, warehouse: Warehouse) -> Plan:
    inspector = sa.inspect(warehouse.engine)
    sources, skipped = [], []
    for part in model.parts:
        missing = _missing(inspector, part.tables)
        if missing:
            skipped.append(f"{part.source}: no {', '.join(missing)}")
            continue
        history = bool(part.history) and not _missing(inspector, part.history)
        sources.append({"source": part.source, "history": history})
    return Plan(sources, skipped)


def rebuild(model: Model, warehouse: Warehouse, snapshot_date: str) -> Plan:
    """Replace the model's rows with what its SQL yields now."""
    built = plan(model, warehouse)
    engine = warehouse.engine
    with engine.begin() as connection:
        templates.prepare(connection)
        table = _ensure_table(connection, model)
        connection.execute(sa.delete(table))
        if built.sources:
            select = templates.render(model.template, engine.dialect.name, **built.variables)
            names = [c.name for c in model.columns]
            statement = sa.insert(table).from_select(
                names, sa.text(select).columns(*[sa.column(n) for n in names])
            )
            connection.execute(statement, {"snapshot_date": snapshot_date})
    return built


def describe(model: Model, warehouse: Warehouse) -> dict[str, Any]:
    """Row count, column schema with descriptions and a preview of the first rows."""
    table = _table(model)
    with warehouse.engine.connect() as connection:
        count = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        first = sa.select(table).order_by(*[table.c[c] for c in model.order_by])
        preview = pd.read_sql_query(first.limit(PREVIEW_ROWS), connection)
    return {
        "dagster/row_count": count,
        "dagster/column_schema": TableSchema(
            columns=[TableColumn(c.name, c.kind, description=c.description) for c in model.columns]
        ),
        "preview": MetadataValue.md(preview.to_markdown(index=False) if count else "(no rows)"),
    }


def violations(
    check: Check, model: Model, warehouse: Warehouse, limit: int = 20
) -> tuple[int, list[dict]]:
    """How many rows break `check`, and the first `limit` of them."""
    variables = {**plan(model, warehouse).variables, **check.variables}
    select = templates.render(check.template, warehouse.engine.dialect.name, **variables)
    with warehouse.engine.begin() as connection:
        templates.prepare(connection)
        result = connection.execute(sa.text(select)).mappings()
        first = [dict(r) for r in result.fetchmany(limit)]
        # Count the rest as they stream by: bad data may break a check on many rows.
        count = len(first) + sum(1 for _ in result)
    return count, first


def _missing(inspector: Any, tables: dict[str, Sequence[str]]) -> list[str]:
    missing = []
    for name, columns in tables.items():
        if not inspector.has_table(name):
            missing.append(f"table {name}")
            continue
        present = {c["name"] for c in inspector.get_columns(name)}
        missing += [f"{name}.{c}" for c in columns if c not in present]
    return missing


def _table(model: Model) -> sa.Table:
    return sa.Table(
        model.name,
        sa.MetaData(),
        *[sa.Column(c.name, schema.SQL_TYPES[c.kind]) for c in model.columns],
    )


def _ensure_table(connection: sa.Connection, model: Model) -> sa.Table:
    table = _table(model)
    inspector = sa.inspect(connection)
    if inspector.has_table(model.name):
        stored = [c["name"] for c in inspector.get_columns(model.name)]
        if stored == [c.name for c in model.columns]:
            return table
        table.drop(connection)
    table.create(connection)
    return table
