"""Declared column types: dates, and values conformed to what a stream declares."""

from __future__ import annotations

from datetime import UTC, date, datetime

from crm_assets.core import schema
from crm_assets.core.spec.flatten import conform
from crm_assets.core.warehouse import Warehouse
from crm_assets_tests.core.test_warehouse import write

DECLARED = {"id": schema.INTEGER, "due": schema.DATE, "amount": schema.NUMBER}


def test_dates_round_trip_idempotently_and_widen_to_text(warehouse: Warehouse):
    rows = [{"id": 1, "due": date(2026, 2, 28), "amount": 5}, {"id": 2, "due": None}]
    write(warehouse, "t", rows, column_types=DECLARED)
    types = dict(warehouse.columns("t"))
    assert (types["due"], types["amount"]) == (schema.DATE, schema.NUMBER)
    stored = {r["id"]: r for r in warehouse.rows("t")}
    assert stored[1]["due"] == date(2026, 2, 28) and stored[2]["due"] is None
    stats, _ = write(warehouse, "t", rows, column_types=DECLARED)
    assert (stats.unchanged, stats.updated) == (2, 0)
    # A value that is no date widens the column; the dates already stored stay readable.
    write(warehouse, "t", [{"id": 3, "due": "next week"}], column_types=DECLARED)
    assert dict(warehouse.columns("t"))["due"] == schema.TEXT
    stored = {r["id"]: r["due"] for r in warehouse.rows("t")}
    assert stored == {1: "2026-02-28", 2: None, 3: "next week"}
    stats, _ = write(warehouse, "t", rows, column_types=DECLARED)
    assert (stats.unchanged, stats.updated) == (2, 0)


def test_a_declared_column_exists_before_any_value_arrives(warehouse: Warehouse):
    write(warehouse, "t", [{"id": 1}], column_types=DECLARED)
    assert dict(warehouse.columns("t"))["due"] == schema.DATE


def test_raw_values_conform_to_their_declared_type_only_when_they_plainly_are_one():
    assert conform("2026-02-28", schema.DATE) == date(2026, 2, 28)
    assert conform("2026-02-30", schema.DATE) == "2026-02-30"  # kept: the column widens
    assert conform("", schema.DATE) is None
    assert conform("2026-02-28 10:00:00", schema.TIMESTAMP) == datetime(2026, 2, 28, 10, tzinfo=UTC)
    assert conform(1, schema.BOOLEAN) is True and conform(0, schema.BOOLEAN) is False
    assert conform(2, schema.BOOLEAN) == 2 and conform(True, schema.BOOLEAN) is True
    assert conform(3, schema.NUMBER) == 3 and conform("x", schema.TEXT) == "x"
