"""Child tables that several streams share, kept apart by their scope columns."""

from __future__ import annotations

from crm_assets.core.spec.streams import ChildSpec, StreamSpec, Window
from crm_assets_tests.core.syncing import sync_alone

FULL = Window(None, None)


def values(kind: str) -> ChildSpec:
    return ChildSpec(
        "values",
        lambda record: [{"field": f, "value": v} for f, v in record["values"].items()],
        key=("field",),
        table="values",
        scope={"kind": kind},
    )


def stream(kind: str, records: list[dict]) -> StreamSpec:
    return StreamSpec(
        name=kind,
        fetch=lambda client, window: iter([records]),
        description=kind,
        children=(values(kind),),
    )


def sync(warehouse, kind: str, records: list[dict]) -> None:
    sync_alone(warehouse, stream(kind, records), FULL, prefix="x_")


def test_streams_sharing_a_child_table_never_touch_each_others_rows(sqlite_warehouse):
    sync(sqlite_warehouse, "lead", [{"id": 1, "values": {"a": "lead-a", "b": "lead-b"}}])
    sync(sqlite_warehouse, "contact", [{"id": 1, "values": {"a": "contact-a"}}])
    # The same lead again without field b: only the lead's b is flagged.
    sync(sqlite_warehouse, "lead", [{"id": 1, "values": {"a": "lead-a"}}])

    rows = {
        (r["kind"], r["_parent_id"], r["field"]): (r["value"], r["_deleted"])
        for r in sqlite_warehouse.rows("x_values")
    }
    assert rows == {
        ("lead", 1, "a"): ("lead-a", False),
        ("lead", 1, "b"): ("lead-b", True),
        ("contact", 1, "a"): ("contact-a", False),
    }
    assert "x_lead__values" not in sqlite_warehouse.table_names()
