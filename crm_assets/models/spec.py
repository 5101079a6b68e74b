"""What a model is, as data: its SQL, columns, the raw tables it reads, its checks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # a logical type of crm_assets.core.schema
    description: str


@dataclass(frozen=True)
class Part:
    """One source's share of a model, built for each connection of the source whose raw
    tables exist.

    Tables are named by stream (`deals`, `pipelines__etapas`), never by their
    warehouse name, which each connection's table prefix decides (`core.spec.tables`).
    `tables` maps each table read to the columns the part needs; `history` and
    `optional` do the same for tables that add to the part when they exist (stage
    history; a table that states what the others do not, such as an account's
    currency). `optional_columns` are read where they exist and assumed empty
    otherwise: a column a sync adds only once the vendor sends it.
    """

    source: str
    tables: Mapping[str, tuple[str, ...]]
    history: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    optional: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    optional_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    """A SQL file selecting the rows that break an invariant: passing means none.

    The file reads the built table as `{{ model_table }}` and recomputes what it
    guards from the raw tables by a path of its own, never through the model's SQL.
    A blocking check that finds rows keeps the build from being published; any
    other check is a warning shown beside the published table.
    """

    name: str
    description: str
    template: str
    blocking: bool = True


@dataclass(frozen=True)
class Model:
    """A table rebuilt from raw tables by one SQL file, `sql/<name>.sql`.

    The file is a SELECT yielding `columns` in order; it may read `sources` (one
    entry per connection whose part's tables exist: its `source`, which picks the
    SQL, its `connection` name, its `tables` by stream name, and flags `history`,
    `has` and `columns` for what exists), `include_archived`, and the bind parameters
    `:snapshot_date` (the build's UTC date, `YYYY-MM-DD`) and `:currency_<connection>`
    (the models' currency setting for that connection). Two connections of one
    source number their records on their own, so whatever groups, joins or orders
    rows does so per connection.
    """

    name: str
    description: str
    columns: tuple[Column, ...]
    parts: tuple[Part, ...]
    checks: tuple[Check, ...]
    order_by: tuple[str, ...]

    @property
    def template(self) -> str:
        return f"{self.name}.sql"

    @property
    def reads(self) -> tuple[tuple[str, str], ...]:
        """Raw streams read, as (source, stream), for each connection of the source:
        lineage in the UI and automation triggers. A child table (`pipelines__etapas`)
        belongs to its stream."""
        streams = []
        for part in self.parts:
            for table in (*part.tables, *part.history, *part.optional):
                stream = (part.source, table.split("__")[0])
                if stream not in streams:
                    streams.append(stream)
        return tuple(streams)
