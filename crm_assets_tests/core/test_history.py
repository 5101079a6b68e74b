"""History: replaced versions kept in `<table>__history`, on SQLite and PostgreSQL.

Each "sync" is a TableWriter with its own `synced_at`, given explicitly so the
validity windows and the retention can be checked against known instants.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from crm_assets.core import schema
from crm_assets.core.warehouse import TableWriter

DAY1 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
DAY2 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DAY3 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)

# The README's point-in-time query: the live table and its history, each row with its
# validity window, filtered to the window holding the instant.
AS_OF = """
SELECT id, title, value, _deleted FROM (
    SELECT id, title, value, _deleted, _synced_at AS _valid_from, NULL AS _valid_to
    FROM deals
    UNION ALL
    SELECT id, title, value, _deleted, _valid_from, _valid_to FROM deals__history
) AS versions
WHERE _valid_from <= '{at}' AND (_valid_to IS NULL OR _valid_to > '{at}')
ORDER BY id
"""


@contextmanager
def sync(warehouse, at, table="deals", key=("id",), *, history_days=30, track_seen=False):
    with warehouse.engine.connect() as connection:
        yield TableWriter(
            connection, table, list(key), column_types={}, synced_at=at, batch_size=100,
            track_seen=track_seen, history_days=history_days,
        )  # fmt: skip


def history(warehouse, table="deals__history"):
    return [
        {k: schema.comparable(v) for k, v in row.items()}
        for row in warehouse.rows(table, order_by=("id", "_valid_from"))
    ]


DEALS = [{"id": 1, "title": "a", "value": 10}, {"id": 2, "title": "b", "value": 20}]


def test_history_is_off_by_default(warehouse):
    for at, value in ((DAY1, 10), (DAY2, 11)):
        with sync(warehouse, at, history_days=0) as writer:
            writer.write([{"id": 1, "title": "a", "value": value}])
    assert not warehouse.has_table("deals__history")
    assert warehouse.table_names() == ["deals"]


def test_a_change_keeps_the_replaced_version_with_its_window(warehouse):
    with sync(warehouse, DAY1) as writer:
        writer.write(DEALS)
    assert history(warehouse) == [], "a first load replaces nothing"

    with sync(warehouse, DAY2) as writer:
        writer.write([{"id": 1, "title": "a", "value": 15}, DEALS[1]])
    [kept] = history(warehouse)
    assert kept["id"] == 1 and kept["value"] == 10 and kept["title"] == "a"
    assert kept["_valid_from"] == DAY1 and kept["_valid_to"] == DAY2
    assert kept["_synced_at"] == DAY1

    with sync(warehouse, DAY3) as writer:
        writer.write([{"id": 1, "title": "a", "value": 15}, DEALS[1]])
    assert len(history(warehouse)) == 1, "an unchanged re-run keeps nothing"


def test_the_point_in_time_query_sees_each_day_as_it_was(warehouse):
    with sync(warehouse, DAY1) as writer:
        writer.write(DEALS)
    with sync(warehouse, DAY2) as writer:
        writer.write([{"id": 1, "title": "a", "value": 15}])
    with sync(warehouse, DAY3) as writer:
        writer.write([{"id": 1, "title": "a2", "value": 16}, {"id": 3, "title": "c", "value": 3}])

    def as_of(at):
        # As the README writes it: a UTC literal with its offset, for PostgreSQL.
        query = AS_OF.format(at=at.strftime("%Y-%m-%d %H:%M:%S+00"))
        with warehouse.engine.connect() as connection:
            return [(r.id, r.title, r.value) for r in connection.execute(sa.text(query))]

    noon = timedelta(hours=3)
    assert as_of(DAY1 + noon) == [(1, "a", 10), (2, "b", 20)]
    assert as_of(DAY2 + noon) == [(1, "a", 15), (2, "b", 20)]
    assert as_of(DAY3 + noon) == [(1, "a2", 16), (2, "b", 20), (3, "c", 3)]


def test_history_follows_new_and_widened_columns(warehouse):
    with sync(warehouse, DAY1) as writer:
        writer.write(DEALS)
    with sync(warehouse, DAY2) as writer:
        writer.write([{"id": 1, "title": "a", "value": 10, "stage": 4}])
    with sync(warehouse, DAY3) as writer:
        writer.write([{"id": 1, "title": "a", "value": 10.5, "stage": "won"}])
    columns = dict(warehouse.columns("deals__history"))
    assert columns["stage"] == schema.TEXT and columns["value"] == schema.NUMBER
    assert [(r["value"], r["stage"]) for r in history(warehouse)] == [(10, None), (10, "4")]


def test_a_row_a_full_read_no_longer_sees_keeps_its_live_version(warehouse):
    with sync(warehouse, DAY1) as writer:
        writer.write(DEALS)
    with sync(warehouse, DAY2, track_seen=True) as writer:
        writer.write([DEALS[0]])
        assert writer.mark_unseen_deleted() == 1
    [kept] = history(warehouse)
    assert kept["id"] == 2 and not kept["_deleted"]
    assert (kept["_valid_from"], kept["_valid_to"]) == (DAY1, DAY2)
    live = {r["id"]: bool(r["_deleted"]) for r in warehouse.rows("deals")}
    assert live == {1: False, 2: True}


def test_child_rows_dropped_by_their_parent_keep_their_version(warehouse):
    key = ("_parent_id", "_index")
    emails = [{"_parent_id": 1, "_index": 0, "email": "a@x"},
              {"_parent_id": 1, "_index": 1, "email": "b@x"}]  # fmt: skip
    with sync(warehouse, DAY1, "deals__emails", key) as writer:
        writer.replace_children(["_parent_id"], [(1,)], emails)
    with sync(warehouse, DAY2, "deals__emails", key) as writer:
        writer.replace_children(["_parent_id"], [(1,)], [{**emails[0], "email": "a@y"}])
    kept = warehouse.rows("deals__emails__history", order_by=("_index",))
    assert [(r["_index"], r["email"], bool(r["_deleted"])) for r in kept] == [
        (0, "a@x", False),  # changed
        (1, "b@x", False),  # dropped: its last live version
    ]
    assert all(schema.comparable(r["_valid_to"]) == DAY2 for r in kept)


def test_versions_past_the_retention_are_pruned_by_a_later_sync(warehouse):
    with sync(warehouse, DAY1, history_days=2) as writer:
        writer.write(DEALS)
    with sync(warehouse, DAY2, history_days=2) as writer:
        writer.write([{"id": 1, "title": "a", "value": 11}])  # replaced on DAY2
    with sync(warehouse, DAY3, history_days=2) as writer:
        writer.write([{"id": 2, "title": "b", "value": 21}])  # replaced on DAY3

    # Two days and an hour after DAY2: only the version replaced on DAY2 is past retention.
    with sync(warehouse, DAY2 + timedelta(days=2, hours=1), history_days=2) as writer:
        assert writer.prune_history() == 1
    assert [r["id"] for r in history(warehouse)] == [2]
    with sync(warehouse, DAY3 + timedelta(days=2, hours=1), history_days=2) as writer:
        assert writer.prune_history() == 1
    assert history(warehouse) == []


def test_switching_history_off_deletes_the_versions_kept(warehouse):
    """`history_days=0` keeps versions for no days: the next sync empties the history
    (the table stays, so queries over it still run), and later syncs keep nothing."""
    with sync(warehouse, DAY1, history_days=90) as writer:
        writer.write(DEALS)
    with sync(warehouse, DAY2, history_days=90) as writer:
        writer.write([{"id": 1, "title": "a", "value": 11}, {"id": 2, "title": "b", "value": 21}])
    assert len(history(warehouse)) == 2

    # A day later, well inside the old 90-day retention.
    with sync(warehouse, DAY3, history_days=0) as writer:
        writer.write([{"id": 1, "title": "a", "value": 12}])
        assert writer.prune_history() == 2
    assert warehouse.has_table("deals__history")
    assert history(warehouse) == []
    with sync(warehouse, DAY3 + timedelta(days=1), history_days=0) as writer:
        writer.write([{"id": 1, "title": "a", "value": 13}])
        assert writer.prune_history() == 0
    assert history(warehouse) == []
    assert [r["value"] for r in warehouse.rows("deals", order_by=("id",))] == [13, 21]
