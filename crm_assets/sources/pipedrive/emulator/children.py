"""Records that hang off deals: attached products, notes, and the deal flow (history).

Shapes: v2 `BaseDealProduct` (client-php `docs/versions/v2/Model`); v1 `BaseNote`
and `DealFlowResponse` (docs/pipedrive-api.md, "Deal flow shape":
`{object, timestamp, data}` items, a `dealChange.data` holding `id, item_id,
user_id, field_key, old_value, new_value, is_bulk_update_flag, log_time,
change_source, additional_data`). Like emulator_records.py, everything is derived
from ids; a deal's notes are found through a reverse index built on first use.
"""

from __future__ import annotations

from typing import Any

from crm_assets.sources.pipedrive.emulator.data import STATUS_MASK, STATUSES
from crm_assets.sources.pipedrive.emulator.http import rfc3339, v1_time
from crm_assets.sources.pipedrive.emulator.records import Records, _between, _id_in

MAX_PRODUCTS_PER_DEAL = 4
NOTE_LINES = (
    "Discussed pricing and next steps.", "Sent the proposal.", "Asked for a reference call.",
    "Waiting on legal.", "Champion is on holiday until next week.", "Requested a demo for the team.",
)  # fmt: skip


class Children:
    """Deal products, notes and deal flow of one dataset."""

    def __init__(self, records: Records):
        self.records = records
        self.data = records.data
        self._notes_by_deal: dict[int, list[int]] | None = None
        # Deal id -> how many more flow calls answer `data: null`, as the vendor
        # now and then does for a deal that has history.
        self.null_flows: dict[int, int] = {}

    # -- deal products (v2) --------------------------------------------------------------

    def deal_products(self, deal_id: int) -> list[dict[str, Any]]:
        """Products attached to a deal; ids are deal_id * 4 + k, so they sort by deal."""
        products = self.data.sizes["products"]
        r = self.data.rand("deal_products", deal_id)
        count = (0, 0, 1, 2, 3, 4)[r(1) % 6] if products else 0
        table = self.data.table("deals")
        add, upd = table.add[deal_id - 1], table.upd[deal_id - 1]
        currency = self.records.deal_currency(deal_id)
        items = []
        for k in range(count):
            product_id = _id_in(r(10 + k), products)
            quantity = 1 + r(20 + k) % 20
            price = self.records.product_price(product_id, currency)
            discount = (0, 0, 5, 10)[r(30 + k) % 4]
            total = round(quantity * price * (100 - discount) / 100, 2)
            added = _between(add, upd, r(40 + k))
            items.append({
                "id": deal_id * MAX_PRODUCTS_PER_DEAL + k, "sum": total, "tax": 0, "deal_id": deal_id,
                "name": self.records.product_name(product_id), "product_id": product_id,
                "product_variation_id": None, "order_nr": k + 1, "add_time": rfc3339(added),
                "update_time": rfc3339(_between(added, upd, r(50 + k))), "comments": None,
                "currency": currency, "discount": discount, "discount_type": "percentage",
                "quantity": quantity, "item_price": price, "tax_method": "exclusive",
                "is_enabled": True, "billing_frequency": "one-time",
                "billing_frequency_cycles": None, "billing_start_date": None,
            })  # fmt: skip
        return items

    # -- notes (v1) ------------------------------------------------------------------------

    def note_refs(self, note_id: int) -> tuple[int, int | None, int | None, int | None]:
        """(user, deal, person, org) of a note: on a deal (with its contacts), person or org."""
        r = self.data.rand("notes", note_id)
        sizes = self.data.sizes
        user = self.records.owner("notes", note_id)
        kind = r(2) % 100
        if kind < 60 and sizes["deals"]:
            deal = _id_in(r(3), sizes["deals"])
            _, person, org, _, _ = self.records.deal_refs(deal)
            return user, deal, person, org
        if kind < 85 and sizes["persons"]:
            person = _id_in(r(4), sizes["persons"])
            return user, None, person, self.records.person_org(person)
        return user, None, None, _id_in(r(5), sizes["organizations"])

    def note(self, i: int) -> dict[str, Any]:
        table = self.data.table("notes")
        note_id, add, upd = i + 1, table.add[i], table.upd[i]
        r = self.data.rand("notes", note_id)
        user_id, deal, person, org = self.note_refs(note_id)
        user = self.records.catalog.user(user_id)
        return {
            "id": note_id, "user_id": user_id, "deal_id": deal, "person_id": person, "org_id": org,
            "lead_id": None, "project_id": None, "task_id": None,
            "content": f"<p>{r.pick(10, NOTE_LINES)}</p>",
            "add_time": v1_time(add), "update_time": v1_time(upd), "active_flag": True,
            "pinned_to_deal_flag": bool(deal) and r.chance(11, 10),
            "pinned_to_person_flag": bool(person) and r.chance(12, 5),
            "pinned_to_organization_flag": bool(org) and r.chance(13, 5),
            "pinned_to_lead_flag": False, "pinned_to_project_flag": False, "pinned_to_task_flag": False,
            "last_update_user_id": user_id if upd > add else None,
            "deal": {"title": self.records.deal_title(deal)} if deal else None,
            "person": {"name": " ".join(self.records.person_names(person))} if person else None,
            "organization": {"name": self.records.org_name(org)} if org else None,
            "lead": None, "project": None, "task": None,
            "user": {"email": user["email"], "name": user["name"], "icon_url": None, "is_you": user_id == 1},
        }  # fmt: skip

    def notes_of_deal(self, deal_id: int) -> list[int]:
        if self._notes_by_deal is None:
            index: dict[int, list[int]] = {}
            for i in range(self.data.sizes["notes"]):
                deal = self.note_refs(i + 1)[1]
                if deal:
                    index.setdefault(deal, []).append(i)
            self._notes_by_deal = index
        return self._notes_by_deal.get(deal_id, [])

    # -- deal flow (v1) ----------------------------------------------------------------------

    def flow_is_null(self, deal_id: int) -> bool:
        """True (and one fewer left) when this flow call must answer `data: null`."""
        left = self.null_flows.get(deal_id, 0)
        if left:
            self.null_flows[deal_id] = left - 1
        return left > 0

    def flow(self, deal_id: int, all_changes: bool, kinds: set[str] | None) -> list[dict[str, Any]]:
        """The deal's updates, newest first: field changes (`dealChange`) and its notes."""
        table = self.data.table("deals")
        i = deal_id - 1
        add, upd, state = table.add[i], table.upd[i], table.state[i]
        owner = self.records.deal_refs(deal_id)[0]
        changes: list[tuple[int, str, Any, Any, bool]] = [
            (add, "add_time", None, v1_time(add), False)
        ]
        for ts, old, new in self.records.stage_moves(deal_id):
            changes.append((ts, "stage_id", old, new, False))
        outcome = STATUSES[state & STATUS_MASK]
        if outcome != "open":
            changes.append((self.records.closed_at(deal_id), "status", "open", outcome, False))
        if upd > add:
            for n, field in enumerate(self.records.fields.custom["deals"][:2]):
                changes.append((upd - n, field["key"], None, "updated", True))
        items = []
        for n, (ts, key, old, new, custom) in enumerate(sorted(changes, key=lambda c: c[0])):
            if custom and not all_changes:
                continue
            items.append({"object": "dealChange", "timestamp": v1_time(ts), "data": {
                "id": deal_id * 100 + n, "item_id": deal_id, "user_id": owner, "field_key": key,
                "old_value": old, "new_value": new, "is_bulk_update_flag": None,
                "log_time": v1_time(ts), "change_source": "app", "change_source_user_agent": None,
                "additional_data": {},
            }})  # fmt: skip
        for note_index in self.notes_of_deal(deal_id):
            note = self.note(note_index)
            items.append({"object": "note", "timestamp": note["add_time"], "data": note})
        if kinds:
            items = [item for item in items if item["object"] in kinds]
        items.sort(key=lambda item: (item["timestamp"], item["object"]), reverse=True)
        return items
