"""Run-time schemas (`StreamSpec.resolve`) and id reconciliation (`StreamSpec.reconcile`)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from crm_assets.core import schema
from crm_assets.core.spec.streams import StreamSpec, SyncMode, Window
from crm_assets.core.warehouse import Warehouse
from crm_assets_tests.core.syncing import sync_alone

FULL = Window(None, None)
DAY = Window(datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC))


class Source:
    """A source whose records and field list the test changes between runs."""

    def __init__(self, ids):
        self.records = {i: {"id": i, "amount": i * 2} for i in ids}
        self.fields = {"id": schema.INTEGER, "amount": schema.NUMBER}
        self.listed = 0

    def stream(self) -> StreamSpec:
        base = StreamSpec(
            name="things",
            fetch=lambda client, window: iter([list(self.records.values())]),
            description="",
            sync_mode=SyncMode.INCREMENTAL,
            reconcile=self.keys,
        )
        return dataclasses.replace(base, resolve=self.resolve)

    def resolve(self, client) -> StreamSpec:
        spec = self.stream()
        return dataclasses.replace(
            spec,
            resolve=None,
            columns=dict(self.fields),
            column_descriptions={name: f"the {name}" for name in self.fields},
        )

    def keys(self, client):
        self.listed += 1
        ids = sorted(self.records)
        for start in range(0, len(ids), 2):
            yield [{"id": i} for i in ids[start : start + 2]]


def run(warehouse: Warehouse, source: Source, window: Window):
    return sync_alone(warehouse, source.stream(), window)


def test_a_resolved_stream_declares_discovered_columns_and_describes_them(warehouse):
    source = Source([1, 2])
    result = run(warehouse, source, FULL)
    assert dict(warehouse.columns("things"))["amount"] == schema.NUMBER
    assert result.descriptions == {"id": "the id", "amount": "the amount"}

    source.fields["note"] = schema.TEXT
    for record in source.records.values():
        record["note"] = None  # a new field, empty everywhere: still a typed column
    result = run(warehouse, source, FULL)
    assert dict(warehouse.columns("things"))["note"] == schema.TEXT
    assert result.descriptions["note"] == "the note"


def test_a_windowed_read_marks_keys_the_source_no_longer_lists(warehouse):
    source = Source([1, 2, 3, 4, 5])
    run(warehouse, source, FULL)
    assert source.listed == 0  # a full read sees every key already

    del source.records[3]
    result = run(warehouse, source, DAY)
    assert source.listed == 1
    assert result.stats.deleted == 1
    deleted = {r["id"]: r["_deleted"] for r in warehouse.rows("things")}
    assert deleted == {1: False, 2: False, 3: True, 4: False, 5: False}
    assert warehouse.row_count("things") == 4

    again = run(warehouse, source, DAY)
    assert again.stats.deleted == 0 and warehouse.row_count("things") == 4


def test_reconciliation_that_lists_nothing_marks_nothing(warehouse):
    source = Source([1, 2])
    run(warehouse, source, FULL)
    source.records = {}
    result = run(warehouse, source, DAY)
    assert result.stats.deleted == 0 and warehouse.row_count("things") == 2


def test_reconciliation_before_the_table_exists_is_harmless(warehouse):
    source = Source([])
    result = run(warehouse, source, DAY)
    assert result.records == 0 and not warehouse.has_table("things")
