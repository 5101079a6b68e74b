"""Batched, idempotent upserts into one raw table, with schema evolution.

Each batch runs in one transaction (or in the caller's, held around the writes of
several writers on one connection: `Transactions.held`): widen or add columns (types
decided once per batch from the set of Python types each field holds), load the batch
into a staging table by the driver's bulk path, then compare and upsert inside the database
(`INSERT ... SELECT ... ON CONFLICT DO UPDATE ... WHERE` a value differs). Unchanged
rows are left alone, so `_synced_at` says when a row last changed and a re-run
writes nothing; stored rows never travel back to Python.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql import quoted_name

from crm_assets.core import schema
from crm_assets.core.warehouse.ddl import add_column, widen_columns
from crm_assets.core.warehouse.history import SUFFIX as HISTORY_SUFFIX
from crm_assets.core.warehouse.history import History
from crm_assets.core.warehouse.staging import Merge, Staging, conflict_insert

SYNCED_AT, DELETED = "_synced_at", "_deleted"
# PostgreSQL truncates identifiers past 63 bytes, which could merge two columns.
_MAX_IDENTIFIER_BYTES = 63
_META = {SYNCED_AT: schema.TIMESTAMP, DELETED: schema.BOOLEAN}
# Key values of these types compare as they are, written or read back (`schema.comparable`).
_COMPARABLE_AS_THEY_ARE = {int, str, bool, type(None)}


@dataclass
class WriteStats:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    def add(self, other: WriteStats) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.deleted += other.deleted


class Transactions:
    """The transactions of one connection, which the writers of one sync share.

    A writer runs each batch in a transaction of its own, unless the caller holds one
    (`held`) around the writes of several writers: then all of them commit together.
    """

    def __init__(self, connection: Connection):
        self.connection = connection
        # Counts the transactions begun, so a writer can tell whether rows it staged
        # are still in its staging table (PostgreSQL empties those at each commit).
        self.begun = 0
        self._held = False

    @contextmanager
    def held(self) -> Iterator[None]:
        """One transaction around everything written inside, by every writer sharing it."""
        with self._begin():
            self._held = True
            try:
                yield
            finally:
                self._held = False

    def batch(self) -> Any:
        """A transaction for one batch: the held one, if any, else one of its own."""
        return nullcontext() if self._held else self._begin()

    def _begin(self) -> Any:
        # Inspecting a table autobegins a transaction on the connection; close it so
        # each transaction begun here starts afresh.
        if self.connection.in_transaction():
            self.connection.commit()
        self.begun += 1
        return self.connection.begin()


class TableWriter:
    def __init__(
        self,
        connection: Connection,
        table: str,
        primary_key: Sequence[str],
        *,
        column_types: dict[str, str],
        synced_at: datetime,
        batch_size: int,
        track_seen: bool,
        history_days: int = 0,
        transactions: Transactions | None = None,
    ):
        self.connection = connection
        self.transactions = transactions or Transactions(connection)
        self.name = table
        self.primary_key = list(primary_key)
        self.declared = column_types
        self.synced_at = synced_at
        self.batch_size = batch_size
        self.stats = WriteStats()
        self._columns: dict[str, str] | None = None
        self._keys: dict[str, str] = {}
        self._shape: tuple | None = None
        self._table_object: sa.Table | None = None
        self._seen: sa.Table | None = None
        self._seen_any = False
        self._staging: Staging | None = None
        self._staging_shape: tuple | None = None
        self._staged_in = 0
        self._sql: dict[tuple[str, ...], Merge] = {}
        self._inserts: dict[tuple[str, ...], Any] = {}
        # Whether this writer created its table, and so inserts new rows first (until
        # a key comes back).
        self._created = self._fresh = False
        self._track_seen = track_seen
        # Opt-in: the versions this writer replaces go to `<table>__history`. With
        # history off it keeps none, and pruning empties what earlier runs kept.
        self._retention = History(
            connection,
            identifier(table + HISTORY_SUFFIX),
            self.primary_key,
            retention_days=history_days,
            replaced_at=synced_at,
        )
        self._history = self._retention if history_days > 0 else None

    # -- writing -----------------------------------------------------------------

    def write(self, rows: Iterable[dict[str, Any]]) -> WriteStats:
        """Upsert rows; returns what this call did (also added to `self.stats`)."""
        rows = _identifiers(list(rows))
        try:
            by_key = dict(zip(map(itemgetter(*self.primary_key), rows), rows, strict=True))
        except KeyError as exc:
            raise ValueError(f"{self.name}: a record has no primary key field {exc}") from None
        batch = list(by_key.values())
        done = WriteStats()
        for start in range(0, len(batch), self.batch_size):
            with self._transaction():
                done.add(self._write_batch(batch[start : start + self.batch_size]))
        self.stats.add(done)
        return done

    def _write_batch(self, rows: list[dict[str, Any]]) -> WriteStats:
        columns = _by_column(rows)
        types = {name: set(map(type, values)) for name, values in columns.items()}
        self._evolve(types)
        table = self._table()
        write_columns = [c for c in self._columns if c in columns or c in _META]
        staging = self._staging_for(table)
        keys = [self._keys[c] for c in write_columns]
        prepared = self._prepare(columns, types, write_columns, len(rows))
        staged = len(prepared[0])  # rows: two raw keys may have stored as one
        staging.load(keys, prepared)
        statements = self._statements(table, staging.table, tuple(keys))
        if self._history is not None:
            self._history.follow(self._columns)
        inserted = None
        if self._fresh:
            inserted = self._insert_new(table, staging.table, tuple(keys))
        if inserted is not None and inserted.inserted == staged:
            stats = inserted
        else:
            stats = self._merge(table, statements)
            if inserted is not None:
                # The rows just inserted now count as stored and unchanged. Keys come
                # back in this table (a record on two pages): merge from now on.
                self._fresh = False
                stats.unchanged -= inserted.inserted
                stats.add(inserted)
        if self._track_seen and not (inserted is not None and self._seen_with_insert()):
            self._remember_staged(staging.table)
        return stats

    def _merge(self, table: sa.Table, statements: Merge) -> WriteStats:
        stats = self._count(statements)
        if self._history is not None and stats.updated:
            self._history.keep_where(table, statements.changes)
        if stats.inserted or stats.updated:
            self.connection.execute(statements.upsert)
        return stats

    def _insert_new(self, table: sa.Table, staging: sa.Table, keys: tuple[str, ...]) -> WriteStats:
        """Insert the staged rows whose keys are not stored, in one statement.

        Into a table this writer created, a batch is nearly always all new: then this
        replaces comparing and upserting, two round trips, by one. A row already stored
        is left for the merge, which finds it unchanged or changed as ever.
        """
        if keys not in self._inserts:
            columns = [table.c[k] for k in keys]
            rows = sa.select(*[staging.c[k] for k in keys]).where(sa.true())
            insert = (
                conflict_insert(table, self.connection.dialect.name)
                .from_select(columns, rows)
                .on_conflict_do_nothing(
                    index_elements=[table.c[self._keys[k]] for k in self.primary_key]
                )
                .returning(table.c[self._keys[DELETED]])
            )
            if self._seen_with_insert():
                # PostgreSQL runs a data-changing WITH in the same statement: the
                # batch's keys are noted as seen without another round trip.
                insert = insert.add_cte(self._seen_from(staging).cte("seen"))
            self._inserts[keys] = insert
        flags = self.connection.execute(self._inserts[keys]).scalars().all()
        self._seen_any = self._seen_any or self._seen_with_insert()
        return WriteStats(inserted=len(flags), deleted=sum(flags))

    def _seen_with_insert(self) -> bool:
        return self._track_seen and self.connection.dialect.name == "postgresql"

    def _prepare(
        self,
        columns: dict[str, Sequence[Any]],
        types: dict[str, set[type]],
        names: list[str],
        count: int,
    ) -> list[Sequence[Any]]:
        """The batch's values of each of `names`, each value as its column stores it.

        Works a column at a time, so a column that needs no conversion costs nothing
        per value and one that does costs one mapped call.
        """
        prepared: list[Sequence[Any]] = []
        converted_key = False
        for name in names:
            if name == SYNCED_AT:
                prepared.append([self.synced_at] * count)
            elif name == DELETED:
                # A record in hand is live unless the source itself says it is deleted.
                prepared.append(list(map(bool, columns.get(DELETED, [False] * count))))
            else:
                convert = schema.converter(self._columns[name], types[name])
                values = columns[name]
                prepared.append(values if convert is None else list(map(convert, values)))
                converted_key |= convert is not None and name in self.primary_key
        if not converted_key:
            return prepared
        # Two raw keys can store as one (1 and "1" in a text column): the last one wins,
        # as it would have in a row-by-row upsert.
        rows = list(zip(*prepared, strict=True))
        key = itemgetter(*[names.index(k) for k in self.primary_key])
        kept = dict(zip(map(key, rows), rows, strict=True)).values()
        return [list(column) for column in zip(*kept, strict=True)]

    def _staging_for(self, table: sa.Table) -> Staging:
        if self._staging is None or self._staging_shape != self._shape:
            self._staging = Staging(self.connection, table, f"_stage_{_digest(self.name)}")
            self._staging_shape, self._sql, self._inserts = self._shape, {}, {}
        elif self._staged_in == self.transactions.begun and self._empties_at_commit():
            # A second batch in one transaction: the commit has not emptied it yet.
            self.connection.execute(sa.delete(self._staging.table))
        self._staged_in = self.transactions.begun
        return self._staging

    def _empties_at_commit(self) -> bool:
        return self.connection.dialect.name == "postgresql"

    def _statements(self, table: sa.Table, staging: sa.Table, keys: tuple[str, ...]) -> Merge:
        """The batch's SQL for one set of written columns (built once, then reused)."""
        if keys not in self._sql:
            self._sql[keys] = Merge.build(
                table,
                staging,
                key=[self._keys[k] for k in self.primary_key],
                columns=keys,
                deleted=self._keys[DELETED],
                synced_at=self._keys[SYNCED_AT],
                dialect=self.connection.dialect.name,
            )
        return self._sql[keys]

    def _count(self, statements: Merge) -> WriteStats:
        total, stored, updated, deleted = self.connection.execute(statements.count).one()
        return WriteStats(
            inserted=total - stored, updated=updated, unchanged=stored - updated, deleted=deleted
        )

    def _comparable_keys(self, keys: Iterable[Sequence[Any]], *, stored: bool) -> list[tuple]:
        """Keys that match between rows in hand and the same rows read back, worked out a
        column at a time.

        `stored=False` converts raw keys to their column types first (an option id 1 in
        a column widened to text is stored as "1").
        """
        columns = []
        for name, values in zip(self.primary_key, zip(*keys, strict=True), strict=False):
            types = set(map(type, values))
            convert = None if stored else schema.converter(self._columns[name], types)
            if convert is not None:
                values = tuple(map(convert, values))
                types = set(map(type, values))
            if not types <= _COMPARABLE_AS_THEY_ARE:
                values = tuple(map(schema.comparable, values))
            columns.append(values)
        return list(zip(*columns, strict=True))

    def _key_getter(self) -> Callable[[dict[str, Any]], tuple]:
        """The primary key of a row in hand, as a tuple."""
        if len(self.primary_key) == 1:
            only = self.primary_key[0]
            return lambda row: (row[only],)
        return itemgetter(*self.primary_key)

    # -- deletes -----------------------------------------------------------------

    def mark_unseen_deleted(self) -> int:
        """After a full read: flag live rows this writer never saw. Returns the count.

        A full read that saw nothing marks nothing: an empty answer is far more often
        a wrong account or a vendor fault than a source whose every record was deleted.
        """
        if not self._track_seen or not self._seen_any or not self._current_columns():
            return 0
        table = self._table()
        seen = self._seen
        matches = sa.and_(*[seen.c[k] == table.c[self._keys[k]] for k in self.primary_key])
        unseen = sa.and_(table.c[self._keys[DELETED]].is_(False), ~sa.exists().where(matches))
        statement = (
            sa.update(table)
            .where(unseen)
            .values({self._keys[DELETED]: True, self._keys[SYNCED_AT]: self.synced_at})
        )
        with self._transaction():
            self._keep_history_where(table, unseen)
            count = self.connection.execute(statement).rowcount
        self.stats.deleted += count
        return count

    def see(self, records: Iterable[dict[str, Any]]) -> None:
        """Note keys the source still has (id reconciliation), for `mark_unseen_deleted`.

        Needs a writer made with `track_seen`; a table not created yet has nothing to mark.
        """
        if not self._exists():
            return
        columns = self._current_columns()
        keys = [{k: schema.to_storage(r[k], columns[k]) for k in self.primary_key} for r in records]
        with self._transaction():
            self._remember(keys)

    def replace_children(
        self,
        parent_columns: list[str],
        parents: list[tuple],
        rows: list[dict[str, Any]],
        *,
        new_parents: bool = False,
    ) -> WriteStats:
        """Write the current child rows of `parents`; flag their live rows not among them.

        `new_parents`: the parents were first written just now, along with these rows.
        A table this writer created then holds no other rows of theirs, and the query
        looking for them is skipped.
        """
        done = self.write(rows)
        if not parents or not self._current_columns() or (new_parents and self._created):
            return done
        table = self._table()
        fks = [table.c[self._keys[c]] for c in parent_columns]
        if len(fks) == 1:
            of_parents = fks[0].in_([p[0] for p in parents])
        else:
            # The plain IN on the first column lets every dialect use the key's index.
            of_parents = sa.and_(
                fks[0].in_(sorted({p[0] for p in parents})), sa.tuple_(*fks).in_(parents)
            )
        key_columns = [table.c[self._keys[k]] for k in self.primary_key]
        live = table.c[self._keys[DELETED]].is_(False)
        kept = set(self._comparable_keys(map(self._key_getter(), rows), stored=False))
        with self._transaction():
            found = self.connection.execute(sa.select(*key_columns).where(of_parents, live))
            stored = [tuple(r) for r in found]
            compared = self._comparable_keys(stored, stored=True)
            stale = [key for key, c in zip(stored, compared, strict=True) if c not in kept]
            if stale:
                # One executemany for every stale row, not a round trip each.
                match = sa.and_(*[c == sa.bindparam(f"k{i}") for i, c in enumerate(key_columns)])
                flag = {self._keys[DELETED]: True, self._keys[SYNCED_AT]: self.synced_at}
                keys = [{f"k{i}": v for i, v in enumerate(key)} for key in stale]
                self._keep_history_where(table, match, keys)
                self.connection.execute(sa.update(table).where(match).values(flag), keys)
        done.deleted += len(stale)
        self.stats.deleted += len(stale)
        return done

    # -- history -----------------------------------------------------------------

    def prune_history(self) -> int:
        """Delete history versions past the retention; returns the count.

        `history_days` is how long a replaced version is kept, so with history off (0)
        every version an earlier run kept is past it and goes: switching history off
        removes the history, rather than keeping personal data past any retention.
        """
        with self._transaction():
            return self._retention.prune()

    def _keep_history_where(self, table: sa.Table, where: Any, keys: Any = None) -> None:
        if self._history is not None:
            self._history.follow(self._current_columns())
            self._history.keep_where(table, where, keys)

    def _remember(self, rows: list[dict[str, Any]]) -> None:
        if self._seen is None:
            self._seen = self._create_seen_table()
        keys = [{k: row[k] for k in self.primary_key} for row in rows]
        if keys:
            self.connection.execute(sa.insert(self._seen), keys)
            self._seen_any = True

    def _remember_staged(self, staging: sa.Table) -> None:
        """Note the keys of the batch in `staging` as seen, without them leaving the database."""
        self.connection.execute(self._seen_from(staging))
        self._seen_any = True

    def _seen_from(self, staging: sa.Table) -> Any:
        """The INSERT noting the keys in `staging` as seen."""
        if self._seen is None:
            self._seen = self._create_seen_table()
        keys = [staging.c[self._keys[k]] for k in self.primary_key]
        seen = [self._seen.c[k] for k in self.primary_key]
        return sa.insert(self._seen).from_select(seen, sa.select(*keys))

    def _create_seen_table(self) -> sa.Table:
        # A temporary table lives on this writer's connection only, so memory stays
        # flat however many keys a full sync sees.
        name = f"_seen_{_digest(self.name)}"
        columns = [
            sa.Column(quoted_name(k, True), schema.SQL_TYPES[self._current_columns()[k]], key=k)
            for k in self.primary_key
        ]
        seen = sa.Table(name, sa.MetaData(), *columns, prefixes=["TEMPORARY"])
        sa.Index(f"{name}_keys", *seen.columns)
        seen.drop(self.connection, checkfirst=True)
        seen.create(self.connection)
        return seen

    # -- schema ------------------------------------------------------------------

    def _transaction(self) -> Any:
        return self.transactions.batch()

    def _exists(self) -> bool:
        return sa.inspect(self.connection).has_table(self.name)

    def _current_columns(self) -> dict[str, str]:
        if self._columns is None:
            self._columns = {}
            if self._exists():
                for column in sa.inspect(self.connection).get_columns(self.name):
                    self._columns[column["name"]] = schema.reflected_type(column["type"])
        return self._columns

    def _evolve(self, types: dict[str, set[type]]) -> None:
        current = self._current_columns()
        wanted = {name: schema.column_type(kinds) for name, kinds in types.items()}
        for name, declared in self.declared.items():
            wanted[name] = schema.widen(schema.storage_type(declared), wanted.get(name))
        if not current:
            self._create(wanted)
            return
        widened = {}
        for name, kind in wanted.items():
            if kind is None:
                continue
            if name not in current:
                add_column(self.connection, self.name, name, kind)
                current[name] = kind
            elif schema.widen(current[name], kind) != current[name]:
                widened[name] = schema.widen(current[name], kind)
        if widened:
            widen_columns(self.connection, self.name, current, widened)
            current.update(widened)

    def _create(self, wanted: dict[str, str | None]) -> None:
        missing = [k for k in self.primary_key if wanted.get(k) is None]
        if missing:
            raise ValueError(f"{self.name}: primary key {missing} has no value in any record")
        ordered = self.primary_key + [c for c in wanted if c not in self.primary_key]
        columns = {c: wanted[c] for c in ordered if wanted[c] is not None}
        columns.update(_META)
        self._columns = columns
        self._table().create(self.connection)
        self._created = self._fresh = True

    def _table(self) -> sa.Table:
        # One Table object per column set, so SQLAlchemy's statement cache is hit on
        # every batch instead of compiling each statement again.
        shape = tuple(self._current_columns().items())
        if self._shape != shape:
            self._shape, self._table_object = shape, self._build_table()
        return self._table_object

    def _build_table(self) -> sa.Table:
        # Bind parameters are named c0, c1, ... so no field name ever reaches the
        # driver's parameter syntax; the column names themselves are always quoted.
        self._keys = {name: f"c{index}" for index, name in enumerate(self._columns)}
        columns = []
        for index, (name, kind) in enumerate(self._columns.items()):
            columns.append(
                sa.Column(
                    quoted_name(name, True),
                    schema.SQL_TYPES[kind],
                    key=f"c{index}",
                    primary_key=name in self.primary_key,
                    # Keys come from the source: no sequence (SERIAL) behind an integer key.
                    autoincrement=False,
                    nullable=name not in self.primary_key and name != DELETED,
                    server_default=sa.false() if name == DELETED else None,
                )
            )
        return sa.Table(quoted_name(self.name, True), sa.MetaData(), *columns)


@functools.lru_cache(maxsize=4096)
def identifier(name: str) -> str:
    """A name safe to quote on every dialect: no NUL, at most 63 bytes, still unique."""
    name = name.replace("\x00", "")
    if len(name.encode()) <= _MAX_IDENTIFIER_BYTES:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:10]
    head = name.encode()[: _MAX_IDENTIFIER_BYTES - 11].decode(errors="ignore")
    return f"{head}_{digest}"


def _digest(name: str) -> str:
    # Names a table's temporary tables: the writers of a sync share one connection,
    # so these must not collide between its tables.
    return hashlib.sha1(name.encode()).hexdigest()[:16]


def _identifiers(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with every field name made a safe identifier (copied only when one changes)."""
    names = set().union(*rows)
    renamed = {name: identifier(name) for name in names if identifier(name) != name}
    if not renamed:
        return rows
    return [{renamed.get(k, k): v for k, v in row.items()} for row in rows]


def _by_column(rows: list[dict[str, Any]]) -> dict[str, tuple]:
    """Each field's values across `rows`, None where a row lacks the field."""
    # In first-seen order, never a set's: new columns are created in this order, and a
    # set's order changes with the process's hash seed.
    names = list(dict.fromkeys(itertools.chain.from_iterable(rows)))
    values = zip(*[tuple(map(row.get, names)) for row in rows], strict=True)
    return dict(zip(names, values, strict=True))
