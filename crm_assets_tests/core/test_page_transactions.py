"""A page of a stream, its parent rows and every child table, is written as one transaction."""

from __future__ import annotations

import pytest

from crm_assets.core.spec.streams import ChildSpec, StreamSpec, Window
from crm_assets.core.warehouse import Warehouse, WriteStats
from crm_assets_tests.core.syncing import sync_alone

FULL = Window(None, None)


class Broken(Exception):
    pass


def items(record: dict) -> list[dict]:
    if record.get("broken"):
        raise Broken(record["id"])
    return [{"sku": sku, "qty": qty} for sku, qty in record["items"].items()]


def stream(pages: list[list[dict]]) -> StreamSpec:
    return StreamSpec(
        name="orders",
        fetch=lambda client, window: iter(pages),
        description="orders",
        children=(ChildSpec("items", items, key=("sku",)),),
    )


def sync(warehouse, pages: list[list[dict]]):
    return sync_alone(warehouse, stream(pages), FULL)


def order(i: int, **items: int) -> dict:
    return {"id": i, "total": sum(items.values()), "items": items}


def test_a_page_larger_than_a_batch_writes_every_row_once(warehouse):
    warehouse = Warehouse(url=warehouse.url, batch_size=3)
    page = [order(i, a=1, b=2, c=i) for i in range(1, 8)]
    try:
        result = sync(warehouse, [page, [order(1, a=1)]])
    finally:
        warehouse.engine.dispose()

    assert warehouse.row_count("orders") == 7
    assert warehouse.row_count("orders__items", include_deleted=True) == 21
    assert warehouse.row_count("orders__items") == 19, "order 1 lost b and c"
    assert (result.stats.inserted, result.stats.updated) == (7, 1)
    items_stats = result.children["items"]
    assert (items_stats.inserted, items_stats.unchanged, items_stats.deleted) == (21, 1, 2)


def test_a_page_that_fails_midway_leaves_nothing_of_itself(warehouse):
    pages = [[order(1, a=1)], [order(2, a=2), {**order(3, b=3), "broken": True}]]
    with pytest.raises(Broken):
        sync(warehouse, pages)

    assert [r["id"] for r in warehouse.rows("orders")] == [1]
    assert [r["_parent_id"] for r in warehouse.rows("orders__items")] == [1]


FIRST = [{"id": 1, "v": "a"}, {"id": 2, "v": "b"}, {"id": 3, "v": "c", "_deleted": True}]
AGAIN = [
    {"id": 1, "v": "a"},
    {"id": 2, "v": "B"},
    {"id": 3, "v": "c", "_deleted": True},
    {"id": 4, "v": "d", "_deleted": True},
    {"id": 5, "v": "e"},
]


def test_rows_seen_again_by_the_writer_that_created_the_table_count_as_in_any_table(warehouse):
    with warehouse.writer("created", ["id"]) as writer:
        writer.write(FIRST)
        in_created = writer.write(AGAIN)
    with warehouse.writer("existing", ["id"]) as writer:
        writer.write(FIRST)
    with warehouse.writer("existing", ["id"]) as writer:
        in_existing = writer.write(AGAIN)

    assert in_created == in_existing == WriteStats(inserted=2, updated=1, unchanged=2, deleted=1)

    def values(table):
        return [(r["id"], r["v"], r["_deleted"]) for r in warehouse.rows(table, order_by=["id"])]

    assert values("created") == values("existing")


def test_children_a_parent_no_longer_lists_are_flagged_in_a_later_sync(warehouse):
    sync(warehouse, [[order(1, a=1, b=2), order(2, a=1)]])
    result = sync(warehouse, [[order(1, a=1), order(2, a=1)], [order(3, c=3)]])

    live = {
        (r["_parent_id"], r["sku"]) for r in warehouse.rows("orders__items") if not r["_deleted"]
    }
    assert live == {(1, "a"), (2, "a"), (3, "c")}
    assert result.children["items"].deleted == 1
