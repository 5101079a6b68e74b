"""The bulk write path (staging table, COPY on PostgreSQL) on real SQLite and PostgreSQL.

Values that are awkward for a bulk loader must arrive intact, and compare equal to
themselves on the next run, so a re-run still rewrites nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from crm_assets.core import schema
from crm_assets.core.warehouse import Warehouse

AWKWARD_TEXT = [
    "line one\nline two\r\nline three",
    "tab\there",
    "back\\slash \\N \\. end",
    "\\N",
    "",
    "ação, 東京, emoji 🚀, zero-width \u200b",
    "quote ' and \" and , comma",
    '{"json": "text", "nested": {"k": [1, 2]}, "esc": "a\\"b"}',
]


def awkward_rows() -> list[dict]:
    offset = timezone(timedelta(hours=5, minutes=30))
    rows = [{"id": i, "text": text} for i, text in enumerate(AWKWARD_TEXT, start=1)]
    rows[0].update(at=datetime(2026, 11, 20, 23, 30, tzinfo=offset), day=date(2026, 2, 28))
    rows[1].update(flag=True, amount=0.1, big=2**62, tags=["a\tb", "c\nd", None])
    rows[2].update(flag=False, amount=-1e-300, big=-(2**62), obj={"k": "v\\w", "n": None})
    rows[3].update(flag=None, amount=None, big=None, at=None, day=None, text=None)
    return rows


def test_awkward_values_arrive_intact_and_a_rerun_changes_nothing(warehouse: Warehouse):
    rows = awkward_rows()
    with warehouse.writer("t", ["id"]) as writer:
        assert writer.write(rows).inserted == len(rows)
    stored = {r["id"]: r for r in warehouse.rows("t")}
    for i, text in enumerate(AWKWARD_TEXT, start=1):
        assert stored[i]["text"] == (None if i == 4 else text), i
    assert stored[5]["text"] == "" and stored[4]["text"] is None
    assert schema.comparable(stored[1]["at"]) == datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    assert stored[1]["day"] == date(2026, 2, 28)
    assert (stored[2]["flag"], stored[3]["flag"], stored[4]["flag"]) == (True, False, None)
    assert stored[2]["amount"] == 0.1 and stored[3]["amount"] == -1e-300
    assert (stored[2]["big"], stored[3]["big"]) == (2**62, -(2**62))
    assert stored[2]["tags"] == '["a\\tb", "c\\nd", null]'
    assert stored[3]["obj"] == '{"k": "v\\\\w", "n": null}'

    with warehouse.writer("t", ["id"]) as writer:
        again = writer.write(awkward_rows())
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(rows))
    assert {r["id"]: r for r in warehouse.rows("t")} == stored


def test_a_batch_mixing_new_changed_unchanged_and_deleted_rows(warehouse: Warehouse):
    first = [{"id": i, "name": f"n{i}", "at": datetime(2026, 1, i, tzinfo=UTC)} for i in (1, 2, 3)]
    with warehouse.writer("t", ["id"]) as writer:
        writer.write(first)
    before = {r["id"]: r for r in warehouse.rows("t")}

    batch = [
        {"id": 1, "name": "n1", "at": datetime(2026, 1, 1, tzinfo=UTC)},  # unchanged
        {"id": 2, "name": "renamed", "at": datetime(2026, 1, 2, tzinfo=UTC)},  # changed
        {"id": 3, "name": "n3", "at": datetime(2026, 1, 3, tzinfo=UTC), "_deleted": True},
        {"id": 4, "name": "new", "at": None},  # new
        {"id": 5, "name": "new, deleted", "_deleted": True},  # new and already deleted
    ]
    with warehouse.writer("t", ["id"]) as writer:
        stats = writer.write(batch)
    assert (stats.inserted, stats.updated, stats.unchanged, stats.deleted) == (2, 2, 1, 2)
    after = {r["id"]: r for r in warehouse.rows("t")}
    assert after[1] == before[1]
    assert after[2]["name"] == "renamed" and after[2]["_synced_at"] > before[2]["_synced_at"]
    assert after[3]["_deleted"] and after[3]["_synced_at"] > before[3]["_synced_at"]
    assert after[4]["at"] is None and not after[4]["_deleted"] and after[5]["_deleted"]

    # Flagged again: already deleted, so neither changed nor newly deleted.
    with warehouse.writer("t", ["id"]) as writer:
        stats = writer.write(batch)
    assert (stats.inserted, stats.updated, stats.unchanged, stats.deleted) == (0, 0, 5, 0)


def test_a_batch_after_a_column_was_widened_compares_stored_values_as_text(
    warehouse: Warehouse,
):
    with warehouse.writer("t", ["id"]) as writer:
        writer.write([{"id": 1, "n": 1}, {"id": 2, "n": 2}])
    with warehouse.writer("t", ["id"]) as writer:
        stats = writer.write([{"id": 1, "n": 1}, {"id": 3, "n": "three"}])
    assert dict(warehouse.columns("t"))["n"] == schema.TEXT
    assert (stats.inserted, stats.updated, stats.unchanged) == (1, 0, 1)
    stored = {r["id"]: r for r in warehouse.rows("t")}
    assert (stored[1]["n"], stored[2]["n"], stored[3]["n"]) == ("1", "2", "three")
    with warehouse.writer("t", ["id"]) as writer:
        stats = writer.write([{"id": 2, "n": 2}, {"id": 3, "n": "three"}])
    assert (stats.inserted, stats.updated, stats.unchanged) == (0, 0, 2)


def test_columns_a_batch_lacks_are_neither_compared_nor_cleared(warehouse: Warehouse):
    with warehouse.writer("t", ["id"]) as writer:
        writer.write([{"id": 1, "a": "x", "b": "y"}])
    with warehouse.writer("t", ["id"]) as writer:
        stats = writer.write([{"id": 1, "a": "x"}])
    assert stats.unchanged == 1
    assert warehouse.rows("t")[0]["b"] == "y"


def test_many_batches_on_one_writer_and_a_full_read_of_them(warehouse: Warehouse):
    warehouse = warehouse.model_copy(update={"batch_size": 7})
    rows = [{"id": i, "v": i % 3} for i in range(50)]
    with warehouse.writer("t", ["id"]) as writer:
        writer.write(rows)
    with warehouse.writer("t", ["id"], track_seen=True) as writer:
        stats = writer.write([r for r in rows if r["id"] % 10] + [{"id": 99, "v": 0}])
        assert writer.mark_unseen_deleted() == 5
    assert (stats.inserted, stats.unchanged) == (1, 45)
    assert warehouse.row_count("t") == 46 and warehouse.row_count("t", include_deleted=True) == 51


def test_a_batch_wider_than_one_statement_allows_arrives_whole(warehouse: Warehouse):
    # 700 columns: SQLite takes at most 32,766 parameters a statement, so 46 rows each,
    # fewer than ROWS_PER_INSERT; a batch of 500 rows goes in eleven statements.
    wide = [{"id": i, **{f"f{c}": i * 1000 + c for c in range(699)}} for i in range(500)]
    with warehouse.writer("wide", ["id"]) as writer:
        assert writer.write(wide).inserted == 500
    stored = sorted(warehouse.rows("wide"), key=lambda r: r["id"])
    assert [{k: r[k] for k in wide[0]} for r in stored] == wide
    with warehouse.writer("wide", ["id"]) as writer:
        assert writer.write(wide).unchanged == 500


def test_values_stored_before_a_widening_read_as_the_text_written_after_it(
    warehouse: Warehouse,
):
    at = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    precise = datetime(2026, 11, 20, 18, 0, 0, 250, tzinfo=UTC)
    first = [
        {"id": 1, "flag": True, "at": at},
        {"id": 2, "flag": False, "at": precise},
        {"id": 3, "flag": None, "at": None},
    ]
    with warehouse.writer("t", ["id"]) as writer:
        writer.write(first)
    with warehouse.writer("t", ["id"]) as writer:
        writer.write([{"id": 4, "flag": "maybe", "at": "soon"}])
    assert dict(warehouse.columns("t"))["flag"] == schema.TEXT
    assert dict(warehouse.columns("t"))["at"] == schema.TEXT
    stored = {r["id"]: (r["flag"], r["at"]) for r in warehouse.rows("t")}
    # The text a value is stored as in a text column, whether it came before or after.
    assert stored == {
        1: ("true", "2026-11-20T18:00:00+00:00"),
        2: ("false", "2026-11-20T18:00:00.000250+00:00"),
        3: (None, None),
        4: ("maybe", "soon"),
    }
    with warehouse.writer("t", ["id"]) as writer:
        again = writer.write(first)
    assert (again.updated, again.unchanged) == (0, 3)


def test_a_key_written_again_into_a_table_the_writer_created_is_merged(warehouse: Warehouse):
    # A table this writer created takes its first batches without a merge; a record on
    # two pages then brings a stored key back, which must update the row, not fail or
    # store it twice, and every later batch must still merge.
    with warehouse.writer("t", ["id"], track_seen=True) as writer:
        first = writer.write([{"id": i, "v": "a"} for i in range(1, 4)])
        again = writer.write([{"id": 3, "v": "b"}, {"id": 4, "v": "a", "_deleted": True}])
        later = writer.write([{"id": 4, "v": "a", "_deleted": True}, {"id": 5, "v": "a"}])
        assert writer.mark_unseen_deleted() == 0
    assert (first.inserted, first.deleted) == (3, 0)
    assert (again.inserted, again.updated, again.unchanged, again.deleted) == (1, 1, 0, 1)
    assert (later.inserted, later.updated, later.unchanged, later.deleted) == (1, 0, 1, 0)
    stored = {r["id"]: (r["v"], r["_deleted"]) for r in warehouse.rows("t")}
    assert stored == {
        1: ("a", False),
        2: ("a", False),
        3: ("b", False),
        4: ("a", True),
        5: ("a", False),
    }

    # The keys the first batches noted count as seen: a full read missing one flags it.
    with warehouse.writer("t", ["id"], track_seen=True) as writer:
        writer.write([{"id": i, "v": "a"} for i in (1, 2)])
        assert writer.mark_unseen_deleted() == 2


def test_a_key_coming_back_after_many_new_rows_of_one_batch_counts_each_row_once(
    warehouse: Warehouse,
):
    # More rows than one SQLite INSERT takes, the stored key last: on SQLite the
    # statements before it have written their rows when it fails.
    with warehouse.writer("t", ["id"]) as writer:
        writer.write([{"id": 0, "v": "a"}])
        batch = [{"id": i, "v": "a", "_deleted": i == 1} for i in range(1, 61)]
        stats = writer.write([*batch, {"id": 0, "v": "b"}])
        assert writer.write([{"id": 61, "v": "a"}, {"id": 0, "v": "b"}]).unchanged == 1
    assert (stats.inserted, stats.updated, stats.unchanged, stats.deleted) == (60, 1, 0, 1)
    stored = {r["id"]: (r["v"], r["_deleted"]) for r in warehouse.rows("t")}
    assert stored == {0: ("b", False), 1: ("a", True), 61: ("a", False)} | {
        i: ("a", False) for i in range(2, 61)
    }
