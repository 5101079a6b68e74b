"""Build a model inside the warehouse, check the build, publish it, describe it.

A model is built into a staging table `<name>__staging`; its checks run against
that table and the raw tables; only when no blocking check finds a row is the
published table replaced, in one transaction, so readers see the old table or
the new one, never a half-built or a rejected one. A rejected build stays in the
staging table for inspection. Nothing is read into Python but a preview and the
first rows that break a check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from dagster import MetadataValue, TableColumn, TableSchema

from crm_assets.core import schema
from crm_assets.core.spec.streams import SourceSpec
from crm_assets.core.spec.tables import source_tables
from crm_assets.core.warehouse import Warehouse
from crm_assets.models import templates
from crm_assets.models.settings import ModelSettings
from crm_assets.models.spec import Check, Model, Part

PREVIEW_ROWS = 10
STAGING_SUFFIX = "__staging"
FIRST_VIOLATIONS = 20


@dataclass(frozen=True)
class Tables:
    """One connection's raw tables: the source (vendor) it reads, whose part of a model
    applies, and its tables by stream name (`deals`, `pipelines__etapas`)."""

    source: str
    tables: Mapping[str, str]


Catalog = Mapping[str, Tables]
"""Every connection's tables, by connection name (`pipedrive`, `pipedrive_latam`)."""


def catalog(connections: Iterable[tuple[str, SourceSpec, str]]) -> dict[str, Tables]:
    """The catalog of connections given as (connection name, source spec, table prefix).

    A connection's name reaches the models' SQL as a string literal and in bind
    parameter names (`:currency_<connection>`), so only identifier-like names are
    taken; two connections of one name would be one in every model, so neither is.
    """
    named: dict[str, Tables] = {}
    for name, spec, prefix in connections:
        templates.connection_name(name)
        if name in named:
            raise ValueError(f"Two connections are named {name!r}")
        named[name] = Tables(spec.name, source_tables(spec, prefix))
    return named


@dataclass(frozen=True)
class Plan:
    """Which connections' parts of a model can be built from the tables in the
    warehouse, and the settings the build runs with. Each entry of `sources` is one
    connection: its `source` (vendor, which picks the SQL), its `connection` name, its
    `tables` by stream name, and flags `history`, `has` and `columns` for what exists."""

    sources: list[dict[str, Any]]
    skipped: list[str]
    settings: ModelSettings = field(default_factory=ModelSettings)

    def variables(self, quote: Any) -> dict[str, Any]:
        """Template variables, with every table name quoted for the dialect."""
        sources = [
            {**s, "tables": {name: quote(table) for name, table in s["tables"].items()}}
            for s in self.sources
        ]
        return {
            "sources": sources,
            "available": bool(sources),
            "include_archived": self.settings.include_archived,
        }

    @property
    def parameters(self) -> dict[str, Any]:
        return self.settings.currency_parameters(
            [(s["connection"], s["source"]) for s in self.sources]
        )


@dataclass(frozen=True)
class Verdict:
    """What one check found in a build."""

    check: Check
    count: int
    first: list[dict[str, Any]]

    @property
    def passed(self) -> bool:
        return self.count == 0

    @property
    def blocks(self) -> bool:
        return self.check.blocking and not self.passed


def plan(
    model: Model, warehouse: Warehouse, tables: Catalog, settings: ModelSettings | None = None
) -> Plan:
    """Every connection whose source has a part in `model`, in the parts' order, then
    the catalog's; a connection missing a table or column the part needs is skipped,
    by name, and so is a part no connection here reads."""
    inspector = sa.inspect(warehouse.engine)
    sources, skipped = [], []
    for part in model.parts:
        connections = [(name, c.tables) for name, c in tables.items() if c.source == part.source]
        if not connections:
            skipped.append(f"{part.source}: no connection defined here")
        for name, named in connections:
            missing = _missing(inspector, named, part.tables)
            if missing:
                skipped.append(f"{name}: no {', '.join(missing)}")
                continue
            sources.append({"source": part.source, "connection": name,
                            **_available(inspector, part, named)})  # fmt: skip
    return Plan(sources, skipped, settings or ModelSettings())


def stage(model: Model, warehouse: Warehouse, built: Plan, snapshot_date: str) -> None:
    """Build the model's rows into its staging table, `<name>__staging`."""
    engine = warehouse.engine
    staging = _table(model, model.name + STAGING_SUFFIX)
    with engine.begin() as connection:
        templates.prepare(connection)
        staging.drop(connection, checkfirst=True)
        staging.create(connection)
        if built.sources:
            select = templates.render(
                model.template, engine.dialect.name, **_variables(warehouse, built)
            )
            names = [c.name for c in model.columns]
            statement = sa.insert(staging).from_select(
                names, sa.text(select).columns(*[sa.column(n) for n in names])
            )
            connection.execute(statement, {"snapshot_date": snapshot_date, **built.parameters})


def check(model: Model, warehouse: Warehouse, built: Plan, snapshot_date: str) -> list[Verdict]:
    """Every check of the model, run against its staging table."""
    return [_verdict(c, model, warehouse, built, snapshot_date) for c in model.checks]


def publish(model: Model, warehouse: Warehouse) -> None:
    """Replace the published table's rows with the staging table's, in one transaction."""
    staging = _table(model, model.name + STAGING_SUFFIX)
    with warehouse.engine.begin() as connection:
        table = _ensure_table(connection, model)
        connection.execute(sa.delete(table))
        names = [c.name for c in model.columns]
        connection.execute(
            sa.insert(table).from_select(names, sa.select(*[staging.c[n] for n in names]))
        )
        staging.drop(connection)


@dataclass(frozen=True)
class Build:
    plan: Plan
    verdicts: list[Verdict]

    @property
    def blocked(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.blocks]


def rebuild(
    model: Model,
    warehouse: Warehouse,
    snapshot_date: str,
    *,
    tables: Catalog,
    settings: ModelSettings | None = None,
) -> Build:
    """Stage, check and, when no blocking check objects, publish the model."""
    built = plan(model, warehouse, tables, settings)
    stage(model, warehouse, built, snapshot_date)
    verdicts = check(model, warehouse, built, snapshot_date)
    result = Build(built, verdicts)
    if not result.blocked:
        publish(model, warehouse)
    return result


def describe(model: Model, warehouse: Warehouse) -> dict[str, Any]:
    """Row count, column schema with descriptions and a preview of the first rows."""
    table = _table(model)
    with warehouse.engine.connect() as connection:
        if not sa.inspect(connection).has_table(model.name):
            count, preview = 0, None
        else:
            count = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            first = sa.select(table).order_by(*ordering(table, model.order_by))
            # Imported here: pandas costs every process that loads the code location a
            # third of a second, and only a model's build previews rows.
            import pandas as pd

            preview = pd.read_sql_query(first.limit(PREVIEW_ROWS), connection)
    return {
        "dagster/row_count": count,
        "dagster/column_schema": TableSchema(
            columns=[TableColumn(c.name, c.kind, description=c.description) for c in model.columns]
        ),
        "preview": MetadataValue.md(preview.to_markdown(index=False) if count else "(no rows)"),
    }


def ordering(table: sa.Table, columns: Sequence[str]) -> list[Any]:
    """ORDER BY terms with empty values last, the same on SQLite and PostgreSQL (they
    sort NULL at opposite ends by default)."""
    terms = []
    for name in columns:
        terms += [sa.case((table.c[name].is_(None), 1), else_=0), table.c[name]]
    return terms


def _variables(warehouse: Warehouse, built: Plan) -> dict[str, Any]:
    return built.variables(warehouse.engine.dialect.identifier_preparer.quote)


def _verdict(
    check: Check, model: Model, warehouse: Warehouse, built: Plan, snapshot_date: str
) -> Verdict:
    engine = warehouse.engine
    staging = engine.dialect.identifier_preparer.quote(model.name + STAGING_SUFFIX)
    select = templates.render(
        check.template, engine.dialect.name, model_table=staging, **_variables(warehouse, built)
    )
    with engine.begin() as connection:
        templates.prepare(connection)
        result = connection.execute(
            sa.text(select), {"snapshot_date": snapshot_date, **built.parameters}
        ).mappings()
        first = [dict(r) for r in result.fetchmany(FIRST_VIOLATIONS)]
        # Count the rest as they stream by: bad data may break a check on many rows.
        count = len(first) + sum(1 for _ in result)
    return Verdict(check, count, first)


def _available(inspector: Any, part: Part, named: Mapping[str, str]) -> dict[str, Any]:
    """What one connection's tables hold of a part: whether its history and optional
    tables exist, which optional columns do, and the tables to read."""
    history = bool(part.history) and not _missing(inspector, named, part.history)
    has = {
        name: not _missing(inspector, named, {name: cols}) for name, cols in part.optional.items()
    }
    columns = {}
    for name, cols in part.optional_columns.items():
        present = _present(inspector, named[name])
        columns[name] = [c for c in cols if c in present]
    used = {*part.tables, *(part.history if history else ()), *(n for n, ok in has.items() if ok)}
    return {
        "history": history,
        "has": has,
        "columns": columns,
        "tables": {name: named[name] for name in used},
    }


def _present(inspector: Any, table: str) -> set[str]:
    if not inspector.has_table(table):
        return set()
    return {c["name"] for c in inspector.get_columns(table)}


def _missing(
    inspector: Any, named: Mapping[str, str], wanted: Mapping[str, Sequence[str]]
) -> list[str]:
    missing = []
    for name, columns in wanted.items():
        table = named.get(name)
        if table is None or not inspector.has_table(table):
            missing.append(f"table {table or name}")
            continue
        present = _present(inspector, table)
        missing += [f"{table}.{c}" for c in columns if c not in present]
    return missing


def _table(model: Model, name: str | None = None) -> sa.Table:
    return sa.Table(
        name or model.name,
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
