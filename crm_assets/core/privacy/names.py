"""The tables and columns a privacy policy may name, checked before a run's first request.

A `table.column` entry (under an action or `scan`) that names nothing protects
nothing, so a misspelt one would leave the column it meant stored as sent. A run
refuses such an entry before any request, naming it and the nearest real name:

- its table must be a table of the code location: one of this source's tables (by
  the resource's table prefix) or of another source (`elsewhere`: the default
  policy, CRM_PII_POLICY, is every source's, so it names every source's tables);
  a stream's `__history` table is not one: the policy protects it with its table;
- on this source's tables, a column is known when the source declares it (its
  columns, their descriptions, its personal columns, keys and child-table keys, the
  sync's own columns) or the warehouse's table or history table already has it;
- a column the source discovers at run time (a custom field, a field of a model
  read with its schema) is named before its first sync, so an unknown column is
  refused only when it is a near miss of a known one (`emial` for `email`) and not
  that name extended (`job_title_custom`, how a custom field sharing a standard
  field's name is named). Any other unknown column is accepted as one to come, and
  protected whenever it arrives; the column schema of each materialization lists
  every protected column;
- a stream whose columns the source describes as the run starts (`resolve`) is
  checked again once described, before any of its records is read: then every
  entry on its table must name one of them (`check_discovered`).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable

from dagster import Failure

from crm_assets.core.privacy.policy import Policy, PolicyError
from crm_assets.core.spec.streams import SourceSpec, StreamSpec
from crm_assets.core.spec.tables import child_table, stream_table
from crm_assets.core.warehouse import Warehouse

HISTORY_SUFFIX = "__history"
_META = ("_synced_at", "_deleted")
_WINDOW = ("_valid_from", "_valid_to")
# How alike two names must be for one to be taken as a misspelling of the other
# (difflib's ratio; 0.6 still catches a swap in a short name, `cfp` for `cpf`).
_NEAR = 0.6


def known_columns(source: SourceSpec, prefix: str) -> dict[str, set[str]]:
    """Every table of `source` under `prefix`, with the columns its streams declare."""
    tables: dict[str, set[str]] = {}
    for stream in source.streams:
        table = stream_table(prefix, stream)
        tables.setdefault(table, set()).update(
            stream.columns, stream.column_descriptions, stream.personal,
            stream.primary_key, _META,
        )  # fmt: skip
        parents = [f"_parent_{k}" for k in stream.primary_key]
        for child in stream.children:
            tables.setdefault(child_table(prefix, stream, child), set()).update(
                child.columns, child.personal, child.key, child.scope, parents,
                ("_index",), _META,
            )  # fmt: skip
    return tables


def check_policy_names(
    title: str,
    policy: Policy,
    source: SourceSpec,
    prefix: str,
    warehouse: Warehouse,
    elsewhere: Collection[str] = (),
) -> None:
    """Raise Failure naming the first entry of `policy` that names no table of the code
    location, or a misspelt column of one of `source`'s tables."""
    named = policy.named()
    if not named:
        return
    tables = known_columns(source, prefix)
    stored: dict[str, set[str]] = {}
    for action, target in named:
        table, _, column = target.partition(".")
        entry = f"{target!r} (under {action})"
        if table not in tables:
            if table in elsewhere:
                continue
            # A stream's name without the prefix is the likeliest slip of all.
            nearest = [f"{prefix}{table}"] if f"{prefix}{table}" in tables else []
            nearest = nearest or _close(_base(table), [*tables, *elsewhere])
            hint = (
                f"; the nearest is {nearest[0]!r}"
                if nearest
                else f"; {title}'s tables are named {prefix}<stream>"
            )
            raise Failure(
                f"{title}: privacy: {entry} names no table of this code location{hint}. {_FIX}"
            )
        if table not in stored:
            stored[table] = _stored(warehouse, table)
        known = tables[table] | stored[table]
        if column in known:
            continue
        # A column the policy names too is one the operator knows: not a misspelling.
        others = known - {t.partition(".")[2] for _, t in named if t.startswith(f"{table}.")}
        near = [n for n in _close(column, others) if not column.startswith(f"{n}_")]
        if near:
            raise Failure(
                f"{title}: privacy: {entry} names no column of {table}; the nearest is "
                f"{f'{table}.{near[0]}'!r}. {_FIX}"
            )


_FIX = "Correct the entry in CRM_PII_POLICY or in the source's privacy setting."


def check_discovered(policy: Policy, stream: StreamSpec, table: str, warehouse: Warehouse) -> None:
    """Raise PolicyError naming the first entry of `policy` on `table` that names none of
    the columns a stream discovered at run time (`StreamSpec.resolve`) has described.

    A discovery that found the stream's fields describes every column its rows can
    have, so here an unknown column is certainly not one still to come. One that found
    no more than the key (the source would not describe the stream) proves nothing.
    """
    described = set(stream.columns)
    if not described - set(stream.primary_key):
        return
    known = described | set(stream.personal) | set(_META) | _stored(warehouse, table)
    for action, target in policy.named():
        name, _, column = target.partition(".")
        if name == table and column not in known:
            nearest = _close(column, known)
            hint = f"; the nearest is {f'{table}.{nearest[0]}'!r}" if nearest else ""
            raise PolicyError(
                f"privacy: {target!r} (under {action}) names no column of {table}, whose "
                f"columns the source described as the run started{hint}. {_FIX}"
            )


def _stored(warehouse: Warehouse, table: str) -> set[str]:
    """The columns the warehouse's table and its history already have."""
    names = {name for name, _ in warehouse.columns(table)}
    history = {name for name, _ in warehouse.columns(table + HISTORY_SUFFIX)}
    return names | (history - set(_WINDOW))


def _base(table: str) -> str:
    return table.removesuffix(HISTORY_SUFFIX)


def _close(name: str, candidates: Iterable[str]) -> list[str]:
    return difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=_NEAR)
