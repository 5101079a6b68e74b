"""The warehouse on real SQLite and real PostgreSQL: upserts, evolution, deletes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from crm_assets.core import schema
from crm_assets.core.warehouse import Warehouse, identifier


def write(warehouse: Warehouse, table: str, rows, key=("id",), **kwargs):
    with warehouse.writer(table, key, **kwargs) as writer:
        stats = writer.write(rows)
        if kwargs.get("track_seen"):
            writer.mark_unseen_deleted()
        return stats, writer.stats


def test_upsert_inserts_updates_and_rewrites_nothing_when_unchanged(warehouse: Warehouse):
    rows = [{"id": i, "name": f"n{i}", "amount": i * 1.5} for i in range(1, 1201)]
    stats, _ = write(warehouse, "t", rows)
    assert (stats.inserted, stats.updated, stats.unchanged) == (1200, 0, 0)
    before = warehouse.rows("t", order_by=["id"])

    stats, _ = write(warehouse, "t", rows)
    assert (stats.inserted, stats.updated, stats.unchanged) == (0, 0, 1200)
    assert warehouse.rows("t", order_by=["id"]) == before

    changed = [{"id": 7, "name": "seven", "amount": 10.5}, {"id": 5000, "name": "new"}]
    stats, _ = write(warehouse, "t", changed)
    assert (stats.inserted, stats.updated, stats.unchanged) == (1, 1, 0)
    after = {r["id"]: r for r in warehouse.rows("t")}
    assert after[7]["name"] == "seven" and after[7]["_synced_at"] > before[6]["_synced_at"]
    assert after[8] == before[7]
    assert warehouse.row_count("t") == 1201


def test_duplicate_keys_in_one_batch_keep_the_last(warehouse: Warehouse):
    stats, _ = write(warehouse, "t", [{"id": 1, "v": "a"}, {"id": 1, "v": "b"}])
    assert stats.inserted == 1
    assert warehouse.rows("t")[0]["v"] == "b"


def test_new_fields_add_columns_and_type_changes_widen(warehouse: Warehouse):
    write(warehouse, "t", [{"id": 1, "n": 1, "flag": True}])
    write(warehouse, "t", [{"id": 2, "n": 2.5, "extra": "x"}])
    types = dict(warehouse.columns("t"))
    assert types["n"] == schema.NUMBER and types["extra"] == schema.TEXT
    write(warehouse, "t", [{"id": 3, "n": "three", "flag": "maybe"}])
    types = dict(warehouse.columns("t"))
    assert types["n"] == schema.TEXT and types["flag"] == schema.TEXT
    rows = {r["id"]: r for r in warehouse.rows("t")}
    assert rows[3]["n"] == "three" and rows[3]["flag"] == "maybe"
    assert float(rows[2]["n"]) == 2.5 and rows[1]["extra"] is None
    # Columns are never dropped, whatever a later record lacks.
    write(warehouse, "t", [{"id": 4}])
    assert {"n", "flag", "extra"} <= {c for c, _ in warehouse.columns("t")}


def test_timestamps_and_json_round_trip(warehouse: Warehouse):
    local = datetime(2026, 11, 20, 23, 30, tzinfo=timezone(timedelta(hours=-3)))
    write(warehouse, "t", [{"id": 1, "at": local, "tags": ["a", "b"], "obj": {"k": 1}}])
    row = warehouse.rows("t")[0]
    assert schema.comparable(row["at"]) == datetime(2026, 11, 21, 2, 30, tzinfo=UTC)
    assert row["tags"] == '["a", "b"]' and row["obj"] == '{"k": 1}'
    stats, _ = write(warehouse, "t", [{"id": 1, "at": local, "tags": ["a", "b"], "obj": {"k": 1}}])
    assert stats.unchanged == 1


@pytest.mark.parametrize(
    "table, column",
    [
        ('we"ird; table', 'we"ird; name'),
        ("x; DROP TABLE t; --", "Robert'); DROP TABLE students;--"),
        ("select", "from"),
        ("t", "%(id)s ?:1 $1"),
    ],
)
def test_hostile_identifiers_are_stored_safely(warehouse: Warehouse, table, column):
    write(warehouse, "t", [{"id": 1, "v": "keep"}])
    write(warehouse, table, [{"id": 1, column: "v1"}, {"id": 2, column: "v2"}])
    write(warehouse, table, [{"id": 2, column: "v2b"}])
    rows = {r["id"]: r for r in warehouse.rows(table)}
    assert rows[1][column] == "v1" and rows[2][column] == "v2b"
    assert warehouse.rows("t")[0]["v"] == "keep"


def test_long_names_stay_distinct(warehouse: Warehouse):
    a, b = "x" * 70 + "a", "x" * 70 + "b"
    write(warehouse, "t", [{"id": 1, a: 1, b: 2}])
    row = warehouse.rows("t")[0]
    assert row[identifier(a)] == 1 and row[identifier(b)] == 2
    assert identifier(a) != identifier(b) and len(identifier(a).encode()) <= 63


def test_full_read_marks_unseen_rows_deleted_and_revives_returning_ones(warehouse: Warehouse):
    write(warehouse, "t", [{"id": i} for i in range(1, 6)])
    _, total = write(warehouse, "t", [{"id": i} for i in (1, 2, 4, 5)], track_seen=True)
    assert total.deleted == 1
    deleted = {r["id"]: r["_deleted"] for r in warehouse.rows("t")}
    assert deleted == {1: False, 2: False, 3: True, 4: False, 5: False}
    assert warehouse.row_count("t") == 4

    _, total = write(warehouse, "t", [], track_seen=True)
    assert total.deleted == 0, "an empty full read must not wipe the table"

    write(warehouse, "t", [{"id": 3}])
    assert warehouse.row_count("t") == 5


def test_children_no_longer_listed_are_marked_deleted(warehouse: Warehouse):
    key = ["_parent_id", "_index"]
    with warehouse.writer("p__c", key) as writer:
        writer.replace_children(
            ["_parent_id"],
            [(1,), (2,)],
            [
                {"_parent_id": 1, "_index": 0, "v": "a"},
                {"_parent_id": 1, "_index": 1, "v": "b"},
                {"_parent_id": 1, "_index": 2, "v": "b2"},
                {"_parent_id": 2, "_index": 0, "v": "c"},
            ],
        )
    with warehouse.writer("p__c", key) as writer:
        stats = writer.replace_children(
            ["_parent_id"],
            [(1,)],
            [
                {"_parent_id": 1, "_index": 0, "v": "a"},
            ],
        )
    assert (stats.unchanged, stats.deleted) == (1, 2)
    rows = {(r["_parent_id"], r["_index"]): r["_deleted"] for r in warehouse.rows("p__c")}
    assert rows == {(1, 0): False, (1, 1): True, (1, 2): True, (2, 0): False}


def test_composite_keys(warehouse: Warehouse):
    key = ("a", "b")
    write(warehouse, "t", [{"a": 1, "b": "x", "v": 1}, {"a": 1, "b": "y", "v": 2}], key=key)
    stats, _ = write(
        warehouse, "t", [{"a": 1, "b": "x", "v": 1}, {"a": 1, "b": "y", "v": 3}], key=key
    )
    assert (stats.unchanged, stats.updated) == (1, 1)


def test_declared_types_create_columns_before_any_value(warehouse: Warehouse):
    write(
        warehouse,
        "t",
        [{"id": 1, "when": None}],
        column_types={"when": schema.TIMESTAMP, "n": schema.INTEGER},
    )
    types = dict(warehouse.columns("t"))
    assert types["when"] == schema.TIMESTAMP and types["n"] == schema.INTEGER


def test_a_record_without_its_key_is_a_clear_error(warehouse: Warehouse):
    with pytest.raises(ValueError, match="primary key"):
        write(warehouse, "t", [{"name": "no id"}])


def test_child_keys_in_a_column_widened_to_text_still_match(warehouse: Warehouse):
    key = ["_parent_id", "id"]
    rows = [{"_parent_id": 1, "id": 1, "label": "a"}, {"_parent_id": 1, "id": "open", "label": "b"}]
    for _ in range(2):
        with warehouse.writer("p__options", key) as writer:
            stats = writer.replace_children(["_parent_id"], [(1,)], rows)
    assert stats.deleted == 0 and stats.unchanged == 2
    assert warehouse.row_count("p__options") == 2


def test_a_row_the_source_reports_deleted_is_stored_flagged(warehouse: Warehouse):
    stats, _ = write(warehouse, "t", [{"id": 1, "_deleted": False}, {"id": 2, "_deleted": True}])
    assert stats.deleted == 1
    assert {r["id"]: r["_deleted"] for r in warehouse.rows("t")} == {1: False, 2: True}
    stats, _ = write(warehouse, "t", [{"id": 2, "_deleted": True}])
    assert (stats.deleted, stats.unchanged) == (0, 1)


def test_an_integer_key_from_the_source_gets_no_sequence(postgres_warehouse: Warehouse):
    # The ids are the vendor's: a SERIAL behind them would be an unused sequence per table.
    write(postgres_warehouse, "deals", [{"id": 1, "title": "a"}])
    with postgres_warehouse.engine.connect() as connection:
        sequences = connection.exec_driver_sql(
            "SELECT count(*) FROM information_schema.sequences "
            "WHERE sequence_schema = current_schema()"
        ).scalar_one()
    assert sequences == 0
