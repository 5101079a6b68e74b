"""Where one stream's pages go: its table and child tables, protected and versioned.

A `Destination` is where a source's streams go: the warehouse, the source's table
prefix, its privacy policy and the days of history kept. A `StreamTarget` is what a
sync writes a page to. Behind `write` stand everything a page passes through on its
way into the warehouse: flattening, the privacy policy (on parent and child rows), the
writers with their history, the child tables, and the count of rows naming a data
subject erased before. A page is one transaction, parent and child rows alike, so a
sync stopped anywhere keeps whole pages only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field

from crm_assets.core.privacy import Policy, Returning, check_discovered
from crm_assets.core.spec.streams import ChildSpec, Record, StreamSpec
from crm_assets.core.spec.tables import child_table, stream_table
from crm_assets.core.warehouse import Warehouse, WriteStats


@dataclass(frozen=True)
class Destination:
    """Where a source's streams are written, and how: into `warehouse`, in tables named
    with the source's `prefix` (`core.spec.tables`), protected by its `privacy` policy,
    keeping earlier versions of changed rows for `history_days` (0: none)."""

    warehouse: Warehouse
    prefix: str
    privacy: Policy = field(default_factory=lambda: Policy({}))
    history_days: int = 0

    def table(self, stream: StreamSpec) -> str:
        return stream_table(self.prefix, stream)

    def check_discovered(self, stream: StreamSpec) -> None:
        """Raise PolicyError when the policy names a column of `table` that a stream
        resolved at run time turned out not to have (`core.privacy.check_discovered`)."""
        check_discovered(self.privacy, stream, self.table(stream), self.warehouse)

    def open(
        self, stream: StreamSpec, *, tracks_seen: bool
    ) -> AbstractContextManager[StreamTarget]:
        """The stream's tables, open for one sync (`StreamTarget.open`)."""
        return StreamTarget.open(self, stream, tracks_seen=tracks_seen)


class StreamTarget:
    """The tables of one stream, open for one sync."""

    def __init__(self, destination: Destination, stream: StreamSpec):
        prefix, privacy = destination.prefix, destination.privacy
        self.stream, self.warehouse = stream, destination.warehouse
        self.table = stream_table(prefix, stream)
        self.child_tables = {c.name: child_table(prefix, stream, c) for c in stream.children}
        self.guard = privacy.guard(
            self.table, stream.personal, stream.personal_rows, stream.primary_key
        )
        self.child_guards = {
            c.name: privacy.guard(
                self.child_tables[c.name], c.personal, c.personal_rows, (*c.scope, *c.key)
            )
            for c in stream.children
        }
        self.returning = Returning.load(self.warehouse.engine)
        self.returned = 0
        self.parent_columns = [f"_parent_{k}" for k in stream.primary_key]

    @classmethod
    @contextmanager
    def open(
        cls, destination: Destination, stream: StreamSpec, *, tracks_seen: bool
    ) -> Iterator[StreamTarget]:
        """The stream's tables, with every writer on one connection, so a page commits
        once; `tracks_seen` keeps the keys written, to flag what a full read missed."""
        target = cls(destination, stream)
        warehouse, history_days = destination.warehouse, destination.history_days
        with ExitStack() as stack:
            target.transactions = stack.enter_context(warehouse.transactions())
            target.writer = stack.enter_context(
                warehouse.writer(
                    target.table,
                    stream.primary_key,
                    column_types=target.guard.column_types(stream.columns),
                    track_seen=tracks_seen,
                    history_days=history_days,
                    transactions=target.transactions,
                )
            )
            target.children = {
                child.name: stack.enter_context(
                    warehouse.writer(
                        target.child_tables[child.name],
                        # The parent's id leads: the writer looks rows up by the first column.
                        [*target.parent_columns, *child.scope, *(child.key or ("_index",))],
                        column_types=target.child_guards[child.name].column_types(child.columns),
                        history_days=history_days,
                        transactions=target.transactions,
                    )
                )
                for child in stream.children
            }
            yield target

    @property
    def descriptions(self) -> dict[str, str]:
        """What the privacy policy does to the stream's columns, for the column schema."""
        return self.guard.notes()

    def write(self, page: list[Record]) -> None:
        """Flatten, protect and write one page with its child rows, in one transaction."""
        flat = [self.stream.flatten(record) for record in page]
        protected = self.guard.rows(flat)
        with self.warehouse.writing(), self.transactions.held():
            written = self.writer.write(protected)
            new_parents = not (written.updated or written.unchanged)
            self.returned += self.returning.count(self.guard, protected)
            for child in self.stream.children:
                parents, rows = _child_rows(child, page, flat, self.stream.primary_key)
                guard = self.child_guards[child.name]
                rows = guard.rows(rows)
                self.children[child.name].replace_children(
                    [*self.parent_columns, *child.scope], parents, rows, new_parents=new_parents
                )
                self.returned += self.returning.count(guard, rows)

    def see(self, keys: Iterable[Record]) -> None:
        """Keys the source still lists, beside those a windowed read wrote."""
        with self.warehouse.writing():
            self.writer.see(keys)

    def finish(self, *, flag_unseen: bool) -> dict[str, int]:
        """Flag what the source no longer lists (when asked), prune history; returns the
        versions pruned per table."""
        with self.warehouse.writing(), self.transactions.held():
            if flag_unseen:
                self.writer.mark_unseen_deleted()
            return {
                each.name: each.prune_history() for each in (self.writer, *self.children.values())
            }

    @property
    def stats(self) -> WriteStats:
        return self.writer.stats

    @property
    def child_stats(self) -> dict[str, WriteStats]:
        return {name: writer.stats for name, writer in self.children.items()}


def _child_rows(
    child: ChildSpec, raw: list[Record], flat: list[Record], key: tuple[str, ...]
) -> tuple[list[tuple], list[Record]]:
    parents, rows = [], []
    scope = tuple(child.scope.values())
    names = [f"_parent_{k}" for k in key]
    for record, flattened in zip(raw, flat, strict=True):
        parent = tuple(flattened[k] for k in key)
        parents.append(parent + scope)
        # Built once per parent, then copied with each of its items: a record's custom
        # field values can be a dozen child rows or more.
        head = {**child.scope, **dict(zip(names, parent, strict=True))}
        if child.key:
            rows.extend([{**head, **item} for item in child.extract(record)])
        else:
            rows.extend(
                {**head, "_index": index, **item}
                for index, item in enumerate(child.extract(record))
            )
    return parents, rows
