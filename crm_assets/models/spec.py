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
    """One source's share of a model, built when its raw tables exist.

    `tables` maps each raw table read to the columns read from it; `history` does the
    same for the tables that add stage history, used when they exist too.
    """

    source: str
    tables: Mapping[str, tuple[str, ...]]
    history: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    """A SQL file selecting the rows that break an invariant: passing means none."""

    name: str
    description: str
    template: str
    variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Model:
    """A table rebuilt from raw tables by one SQL file, `sql/<name>.sql`.

    The file is a SELECT yielding `columns` in order; it may read `sources` (the
    parts whose tables exist, each with its `history` flag) and the bind parameter
    `:snapshot_date` (the build's UTC date, `YYYY-MM-DD`).
    """

    name: str
    description: str
    columns: tuple[Column, ...]
    parts: tuple[Part, ...]
    # Raw assets read, as (source, stream): lineage in the UI and automation triggers.
    reads: tuple[tuple[str, str], ...]
    checks: tuple[Check, ...]
    order_by: tuple[str, ...]

    @property
    def template(self) -> str:
        return f"{self.name}.sql"
