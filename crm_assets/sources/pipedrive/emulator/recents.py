"""`GET /v1/recents` and the v1 record shapes it returns.

docs/pipedrive-api.md, "/recents shape":
`{"item": "person", "id": 532, "data": {...full v1 object...}}`, with `data: null`
for items that are gone (here: deals purged after their 30 days as deleted) and a
list for `item: "user"`; `additional_data` holds `since_timestamp`,
`last_timestamp_on_page` and an offset `pagination`. Entries are those updated at
or after `since_timestamp` (UTC, `YYYY-MM-DD HH:MM:SS`), oldest first.

v1 records are derived from the v2 ones: custom fields flattened (money as
`<hash>` + `<hash>_currency`, sets as "1,2"), an organization's address as its line
plus `address_<part>` keys, v1 timestamps, `user_id` for owners of deals and
activities, `active_flag`/`active`/`deleted` flags.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import UTC, datetime
from typing import Any

from crm_assets.sources.pipedrive.emulator.field_specs import ADDRESS_PARTS
from crm_assets.sources.pipedrive.emulator.http import (
    ApiError,
    Args,
    csv_param,
    limit_param,
    offset_pagination,
    start_param,
    v1_time,
)
from crm_assets.sources.pipedrive.emulator.store import Store

TABLE_ITEMS = {
    "deal": "deals", "person": "persons", "organization": "organizations",
    "activity": "activities", "product": "products", "note": "notes",
}  # fmt: skip
LIST_ITEMS = ("user", "pipeline", "stage", "activityType")
# Item types Pipedrive knows that the emulator holds none of: accepted, always empty.
EMPTY_ITEMS = ("file", "filter", "project", "task")


def v1_record(emu: Store, entity: str, v2: dict[str, Any]) -> dict[str, Any]:
    """The v1 shape of a v2 record of deals, persons, organizations, activities or products."""
    out: dict[str, Any] = {}
    for key, value in v2.items():
        if key == "custom_fields":
            out.update(emu.fields.flatten_v1(entity, value))
        elif isinstance(value, str) and key.endswith("_time") and value.endswith("Z"):
            out[key] = value[:10] + " " + value[11:19]
        else:
            out[key] = value
    out["active_flag"] = not v2.get("is_deleted", False)
    out["visible_to"] = str(v2["visible_to"]) if v2.get("visible_to") is not None else None
    if "label_ids" in out:
        labels = out.pop("label_ids")
        out["label"] = ",".join(map(str, labels)) or None
    if entity in ("deals", "activities"):
        out["user_id"] = out.pop("owner_id")
    if entity == "deals":
        records = emu.factory
        owner = emu.catalog.user(out["user_id"])
        out["owner_name"] = owner["name"]
        out["person_name"] = (
            " ".join(records.person_names(v2["person_id"])) if v2["person_id"] else None
        )
        out["org_name"] = records.org_name(v2["org_id"]) if v2["org_id"] else None
        out["active"] = v2["status"] == "open"
        out["deleted"] = v2["is_deleted"]
    elif entity == "persons":
        out["email"], out["phone"] = out.pop("emails"), out.pop("phones")
    elif entity == "organizations":
        # v1 sends the address line as text and each part beside it, `address_<part>`.
        address = out.pop("address") or {}
        out["address"] = address.get("value")
        out.update({f"address_{part}": address.get(part) for part in ADDRESS_PARTS})
    elif entity == "activities":
        out["busy_flag"] = out.pop("busy")
    elif entity == "products":
        out["selectable"] = out.pop("is_linkable")
        out["prices"] = [
            {"id": v2["id"] * 10 + n, "product_id": p["product_id"], "price": p["price"],
             "currency": p["currency"], "cost": p["cost"], "overhead_cost": p["direct_cost"]}
            for n, p in enumerate(v2["prices"])
        ]  # fmt: skip
    return out


def _since(args: Args) -> tuple[int, str]:
    raw = args.get("since_timestamp")
    if not raw:
        raise ApiError(400, "Parameter 'since_timestamp' is required (YYYY-MM-DD HH:MM:SS)")
    try:
        moment = datetime.strptime(raw, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        raise ApiError(
            400, "Invalid value for 'since_timestamp': use YYYY-MM-DD HH:MM:SS"
        ) from None
    return int(moment.timestamp()), raw


def recents(emu: Store, args: Args) -> dict[str, Any]:
    since, raw_since = _since(args)
    kinds = csv_param(args, "items") or [*TABLE_ITEMS, *LIST_ITEMS]
    unknown = [k for k in kinds if k not in (*TABLE_ITEMS, *LIST_ITEMS, *EMPTY_ITEMS)]
    if unknown:
        raise ApiError(400, f"Invalid value for 'items': {', '.join(unknown)}")
    start, limit = start_param(args), limit_param(args)
    entries = _entries(emu, since, tuple(sorted(set(kinds))))
    page = entries[start : start + limit]
    data = [
        {"item": kind, "id": item_id, "data": _data(emu, kind, item_id)}
        for _, kind, item_id in page
    ]
    last = v1_time(page[-1][0]) if page else raw_since
    return {
        "success": True,
        "data": data,
        "additional_data": {
            "since_timestamp": raw_since,
            "last_timestamp_on_page": last,
            "pagination": offset_pagination(len(entries), start, limit),
        },
    }


def _entries(emu: Store, since: int, kinds: tuple[str, ...]) -> list[tuple[int, str, int]]:
    """(update time, item type, id) of everything updated at or after `since`, oldest first."""
    key = (
        since,
        kinds,
        tuple(emu.data.table(TABLE_ITEMS[k]).version for k in kinds if k in TABLE_ITEMS),
    )
    if emu.recents_cache and emu.recents_cache[0] == key:
        return emu.recents_cache[1]
    entries: list[tuple[int, str, int]] = []
    for kind in kinds:
        if kind in TABLE_ITEMS:
            table = emu.data.table(TABLE_ITEMS[kind])
            order, upd = table.by_update(), table.upd
            first = bisect_left(order, since, key=upd.__getitem__)
            entries.extend((upd[i], kind, i + 1) for i in order[first:])
        elif kind in LIST_ITEMS:
            for item_id, stamp in _list_stamps(emu, kind):
                if stamp >= since:
                    entries.append((stamp, kind, item_id))
    entries.sort()
    emu.recents_cache = (key, entries)
    return entries


def _list_stamps(emu: Store, kind: str) -> list[tuple[int, int]]:
    def epoch(text: str) -> int:
        return int(
            datetime.fromisoformat(text.replace(" ", "T").replace("Z", ""))
            .replace(tzinfo=UTC)
            .timestamp()
        )

    catalog = emu.catalog
    if kind == "user":
        return [(u["id"], epoch(u["modified"])) for u in catalog.users]
    items = {
        "pipeline": catalog.pipelines,
        "stage": catalog.stages,
        "activityType": catalog.activity_types,
    }[kind]
    return [(item["id"], epoch(item["update_time"])) for item in items]


def _data(emu: Store, kind: str, item_id: int) -> Any:
    if kind == "deal" and not emu.exists("deals", item_id):
        return None  # purged: Pipedrive lists the change but no longer has the deal
    if kind == "note":
        return emu.children.note(item_id - 1)
    if kind in TABLE_ITEMS:
        entity = TABLE_ITEMS[kind]
        return v1_record(emu, entity, emu.build(entity, item_id - 1))
    catalog = emu.catalog
    if kind == "user":
        return [catalog.user(item_id)]
    if kind == "activityType":
        return catalog.activity_types[item_id - 1]
    found = catalog.pipelines if kind == "pipeline" else catalog.stages
    item = next(x for x in found if x["id"] == item_id)
    return {k: (v[:10] + " " + v[11:19] if k.endswith("_time") else v) for k, v in item.items()}
