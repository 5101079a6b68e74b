"""Batched, idempotent upserts into one raw table, with schema evolution.

Each batch runs in one transaction (or in the caller's, held around the writes of
several writers on one connection: `Transactions.held`): widen or add columns (types
decided once per batch from the set of Python types each field holds: `columns`), load
the batch into a staging table by the driver's bulk path, then compare and upsert inside
the database (`INSERT ... SELECT ... ON CONFLICT DO UPDATE ... WHERE` a value differs:
`staging.Merge`). Unchanged rows are left alone, so `_synced_at` says when a row last
changed and a re-run writes nothing; stored rows never travel back to Python. A table
the writer created takes its batches straight in, with nothing to compare, until a
key comes back (`TableWriter._load_new`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from crm_assets.core import schema
from crm_assets.core.warehouse.batch import by_column, stored_values
from crm_assets.core.warehouse.columns import (
    DELETED,
    META,
    SYNCED_AT,
    TableColumns,
    identifier,
    temporary_name,
    with_identifiers,
)
from crm_assets.core.warehouse.deletes import SeenKeys, stale_children
from crm_assets.core.warehouse.history import SUFFIX as HISTORY_SUFFIX
from crm_assets.core.warehouse.history import History
from crm_assets.core.warehouse.staging import (
    Merge,
    Staging,
    conflict_insert,
    copy_rows,
    insert_rows,
)
from crm_assets.core.warehouse.transactions import Transactions


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


class TableWriter:
    """Writes one raw table on one connection: upserts in batches (`write`), a parent's
    current child rows (`replace_children`), the deletes a full read finds (`see`,
    `mark_unseen_deleted`) and history pruning. What it did adds up in `stats`."""

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
        self.synced_at = synced_at
        self.batch_size = batch_size
        self.stats = WriteStats()
        self.columns = TableColumns(connection, table, self.primary_key, column_types)
        self._seen = SeenKeys(connection, self.columns)
        self._track_seen = track_seen
        self._staging: Staging | None = None
        self._staging_shape: tuple | None = None
        self._staged_in = 0
        self._sql: dict[tuple[str, ...], Merge] = {}
        self._inserts: dict[tuple[str, ...], Any] = {}
        # Whether this writer created its table and inserts new rows first (until a
        # key comes back).
        self._fresh = False
        # Whether batches into a table this writer created go straight in
        # (`_load_new`): until a key comes back.
        self._direct = True
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
        rows = with_identifiers(list(rows))
        try:
            by_key = dict(zip(map(itemgetter(*self.primary_key), rows), rows, strict=True))
        except KeyError as exc:
            raise ValueError(f"{self.name}: a record has no primary key field {exc}") from None
        batch = list(by_key.values())
        done = WriteStats()
        for start in range(0, len(batch), self.batch_size):
            with self.transactions.batch():
                done.add(self._write_batch(batch[start : start + self.batch_size]))
        self.stats.add(done)
        return done

    def _write_batch(self, rows: list[dict[str, Any]]) -> WriteStats:
        columns = by_column(rows)
        types = {name: set(map(type, values)) for name, values in columns.items()}
        if self.columns.evolve(types):
            self._fresh = True
        table = self.columns.table()
        write_columns = [c for c in self.columns.current() if c in columns or c in META]
        keys = [self.columns.keys[c] for c in write_columns]
        prepared = stored_values(
            columns, types, write_columns, len(rows), column_types=self.columns.current(),
            primary_key=self.primary_key, synced_at=self.synced_at,
        )  # fmt: skip
        staged = len(prepared[0])  # rows: two raw keys may have stored as one
        if self._history is not None:
            self._history.follow(self.columns.current())
        # Rows of the batch already written straight in, before a key came back.
        early = WriteStats()
        if self._fresh and self._direct:
            loaded, early = self._load_new(table, keys, prepared)
            if loaded:
                return early
        staging = self._staging_for(table)
        staging.load(keys, prepared)
        statements = self._statements(table, staging.table, tuple(keys))
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
            self._seen.remember_staged(staging.table)
        # The merge found the rows written straight in stored and unchanged.
        stats.unchanged -= early.inserted
        stats.add(early)
        return stats

    def _merge(self, table: sa.Table, statements: Merge) -> WriteStats:
        total, stored, updated, deleted = self.connection.execute(statements.count).one()
        stats = WriteStats(
            inserted=total - stored, updated=updated, unchanged=stored - updated, deleted=deleted
        )
        if self._history is not None and stats.updated:
            self._history.keep_where(table, statements.changes)
        if stats.inserted or stats.updated:
            self.connection.execute(statements.upsert)
        return stats

    def _load_new(
        self, table: sa.Table, keys: list[str], prepared: list[Sequence[Any]]
    ) -> tuple[bool, WriteStats]:
        """Write the batch straight into the table this writer created, with no staging
        table and no merge. Returns whether the whole batch went in, and what went in.

        Such a table holds only what this writer wrote, so a batch is nearly always all
        new. A key that comes back (a record on two pages) violates the primary key and
        the batch, and every later one, takes the merge, which finds the stored row
        unchanged or changed as ever. On PostgreSQL one COPY goes in under a savepoint,
        rolled back on that violation; on SQLite the INSERTs before the failing one
        stay, and the merge counts them as its own stored rows.
        """
        flags = prepared[keys.index(self.columns.keys[DELETED])]
        written = 0
        try:
            if self.connection.dialect.name == "postgresql":
                with self.connection.begin_nested():
                    copy_rows(self.connection, table, keys, prepared)
            else:
                for count in insert_rows(self.connection, table, keys, prepared):
                    written += count
        except self.connection.dialect.loaded_dbapi.IntegrityError:
            self._direct = False
            return False, WriteStats(inserted=written, deleted=sum(flags[:written]))
        if self._track_seen:
            self._seen.load(dict(zip(keys, prepared, strict=True)))
        return True, WriteStats(inserted=len(flags), deleted=sum(flags))

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
                    index_elements=[table.c[self.columns.keys[k]] for k in self.primary_key]
                )
                .returning(table.c[self.columns.keys[DELETED]])
            )
            if self._seen_with_insert():
                # PostgreSQL runs a data-changing WITH in the same statement: the
                # batch's keys are noted as seen without another round trip.
                insert = insert.add_cte(self._seen.insert_from(staging).cte("seen"))
            self._inserts[keys] = insert
        flags = self.connection.execute(self._inserts[keys]).scalars().all()
        self._seen.any = self._seen.any or self._seen_with_insert()
        return WriteStats(inserted=len(flags), deleted=sum(flags))

    def _seen_with_insert(self) -> bool:
        return self._track_seen and self.connection.dialect.name == "postgresql"

    def _staging_for(self, table: sa.Table) -> Staging:
        if self._staging is None or self._staging_shape != self.columns.shape:
            name = temporary_name("_stage_", self.name)
            self._staging = Staging(self.connection, table, name)
            self._staging_shape, self._sql, self._inserts = self.columns.shape, {}, {}
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
                key=[self.columns.keys[k] for k in self.primary_key],
                columns=keys,
                deleted=self.columns.keys[DELETED],
                synced_at=self.columns.keys[SYNCED_AT],
                dialect=self.connection.dialect.name,
            )
        return self._sql[keys]

    # -- deletes -----------------------------------------------------------------

    def mark_unseen_deleted(self) -> int:
        """After a full read: flag live rows this writer never saw. Returns the count.

        A full read that saw nothing marks nothing: an empty answer is far more often
        a wrong account or a vendor fault than a source whose every record was deleted.
        """
        if not self._track_seen or not self._seen.any or not self.columns.current():
            return 0
        table = self.columns.table()
        unseen = self._seen.unseen(table)
        statement = sa.update(table).where(unseen).values(self._deleted_flag())
        with self.transactions.batch():
            self._keep_history_where(table, unseen)
            count = self.connection.execute(statement).rowcount
        self.stats.deleted += count
        return count

    def see(self, records: Iterable[dict[str, Any]]) -> None:
        """Note keys the source still has (id reconciliation), for `mark_unseen_deleted`.

        Needs a writer made with `track_seen`; a table not created yet has nothing to mark.
        """
        if not self.columns.exists():
            return
        columns = self.columns.current()
        keys = [{k: schema.to_storage(r[k], columns[k]) for k in self.primary_key} for r in records]
        with self.transactions.batch():
            self._seen.remember(keys)

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
        if not parents or not self.columns.current() or (new_parents and self.columns.created):
            return done
        table = self.columns.table()
        with self.transactions.batch():
            stale = stale_children(self.connection, self.columns, parent_columns, parents, rows)
            if stale:
                # One executemany for every stale row, not a round trip each.
                key_columns = [table.c[self.columns.keys[k]] for k in self.primary_key]
                match = sa.and_(*[c == sa.bindparam(f"k{i}") for i, c in enumerate(key_columns)])
                values = [{f"k{i}": v for i, v in enumerate(key)} for key in stale]
                self._keep_history_where(table, match, values)
                update = sa.update(table).where(match).values(self._deleted_flag())
                self.connection.execute(update, values)
        done.deleted += len(stale)
        self.stats.deleted += len(stale)
        return done

    def _deleted_flag(self) -> dict[str, Any]:
        """The values flagging a row deleted by this sync."""
        return {self.columns.keys[DELETED]: True, self.columns.keys[SYNCED_AT]: self.synced_at}

    # -- history -----------------------------------------------------------------

    def prune_history(self) -> int:
        """Delete history versions past the retention; returns the count.

        `history_days` is how long a replaced version is kept, so with history off (0)
        every version an earlier run kept is past it and goes: switching history off
        removes the history, rather than keeping personal data past any retention.
        """
        with self.transactions.batch():
            return self._retention.prune()

    def _keep_history_where(self, table: sa.Table, where: Any, keys: Any = None) -> None:
        if self._history is not None:
            self._history.follow(self.columns.current())
            self._history.keep_where(table, where, keys)
