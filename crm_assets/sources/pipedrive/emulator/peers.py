"""Endpoints that peer connectors call and the project itself does not read.

v1 ones Pipedrive still serves (they were not part of the 2025 v1 deprecation):
- `deals/{id}/products` (Airbyte, Singer, pipedrive-python-lib): the deal's products
  in the v1 shape (`enabled_flag`, `last_edit`, `active_flag`, v1 timestamps) with
  `additional_data` totals and offset `pagination`;
- `deals/{id}/participants` (dlt): the deal's contact person as a participant,
  `person_id` an object as client-php 15.4.0 documents `DealParticipantItem`;
- `currencies` (Singer): the currencies the account's records use;
- `leads`, `files`, `filters` (dlt, Singer): lists the emulated account has none of,
  answered as an empty offset-paged list, as the vendor answers such an account;
  likewise `deals/{id}/mailMessages`, `webhooks` and `leads/search` (pipedrive-python-lib),
  while `leads/{id}` and `filters/{id}` answer 404 for any id;
- `deals/{id}/followers` (pipedrive-python-lib): the v1 follower objects
  `{id, user_id, deal_id, add_time}` of the deal's creator and owner.
And in v2, `deals/{id}/followers` (dlt's v2 source): `{user_id, add_time}` items,
cursor paged; here the deal's creator and owner follow it.
"""

from __future__ import annotations

from typing import Any

from crm_assets.sources.pipedrive.emulator.fields import CURRENCIES
from crm_assets.sources.pipedrive.emulator.http import (
    ApiError,
    Args,
    limit_param,
    offset_pagination,
    start_param,
)
from crm_assets.sources.pipedrive.emulator.recents import v1_record
from crm_assets.sources.pipedrive.emulator.store import Store

CURRENCY_NAMES = {
    "USD": ("US Dollar", "$"), "EUR": ("Euro", "€"),
    "GBP": ("British Pound", "£"), "BRL": ("Brazilian Real", "R$"),
}  # fmt: skip
EMPTY_LISTS = ("leads", "files", "filters")


def _v1(stamp: str | None) -> str | None:
    return None if stamp is None else stamp[:10] + " " + stamp[11:19]


def _paged(items: list[Any], args: Args, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    start, limit = start_param(args), limit_param(args)
    pagination = offset_pagination(len(items), start, limit)
    return {
        "success": True,
        "data": items[start : start + limit],
        "additional_data": {**(extra or {}), "pagination": pagination},
    }


class PeerEndpoints:
    """Handlers for the paths above; each returns a body or raises ApiError."""

    def __init__(self, store: Store):
        self.emu = store

    def deal_products(self, deal_id: int, args: Args) -> dict[str, Any]:
        self._require_deal(deal_id)
        items = [
            {
                **{k: v for k, v in p.items() if k not in ("is_enabled", "update_time")},
                "add_time": _v1(p["add_time"]),
                "last_edit": _v1(p["update_time"]),
                "enabled_flag": p["is_enabled"],
                "active_flag": True,
            }
            for p in self.emu.children.deal_products(deal_id)
        ]
        quantity = sum(p["quantity"] for p in items)
        total = round(sum(p["sum"] for p in items), 2)
        totals = {"products_quantity_total": quantity, "products_sum_total": total}
        return _paged(items, args, totals)

    def deal_participants(self, deal_id: int, args: Args) -> dict[str, Any]:
        deal = self._require_deal(deal_id)
        person_id = deal["person_id"]
        if not person_id:
            return _paged([], args)
        person = v1_record(self.emu, "persons", self.emu.build("persons", person_id - 1))
        participant = {
            "id": deal_id * 10 + 1,
            "person_id": {
                "value": person_id, "name": person["name"], "email": person["email"],
                "phone": person["phone"], "owner_id": person["owner_id"], "active_flag": True,
            },
            "add_time": _v1(deal["add_time"]), "active_flag": True,
            "related_item_data": {"deal_id": deal_id, "title": deal["title"]},
            "person": person, "added_by_user_id": deal["owner_id"],
        }  # fmt: skip
        return _paged([participant], args)

    def currencies(self, args: Args) -> dict[str, Any]:
        items = [
            {"id": n, "code": code, "name": CURRENCY_NAMES[code][0], "decimal_points": 2,
             "symbol": CURRENCY_NAMES[code][1], "active_flag": True, "is_custom_flag": False}
            for n, code in enumerate(CURRENCIES, start=1)
        ]  # fmt: skip
        return {"success": True, "data": items}

    def empty(self, args: Args) -> dict[str, Any]:
        return _paged([], args)

    def missing(self, kind: str) -> dict[str, Any]:
        raise ApiError(404, f"{kind} not found")

    def webhooks(self, args: Args) -> dict[str, Any]:
        return {"status": "ok", "success": True, "data": []}

    def lead_search(self, args: Args) -> dict[str, Any]:
        if len((args.get("term") or "").strip()) < 2:
            raise ApiError(400, "Parameter 'term' is required and must be at least 2 characters")
        body = _paged([], args)
        body["data"] = {"items": []}
        return body

    def deal_mail_messages(self, deal_id: int, args: Args) -> dict[str, Any]:
        self._require_deal(deal_id)
        return _paged([], args)

    def deal_followers_v1(self, deal_id: int, args: Args) -> dict[str, Any]:
        deal = self._require_deal(deal_id)
        users = sorted({deal["owner_id"], deal.get("creator_user_id") or deal["owner_id"]})
        items = [
            {"id": deal_id * 10 + n, "user_id": user, "deal_id": deal_id,
             "add_time": _v1(deal["add_time"])}
            for n, user in enumerate(users, start=1)
        ]  # fmt: skip
        return _paged(items, args)

    def deal_followers(self, deal_id: int, args: Args) -> dict[str, Any]:
        deal = self._require_deal(deal_id)
        limit_param(args)  # validated as on every v2 list; a deal has few followers
        users = sorted({deal["owner_id"], deal.get("creator_user_id") or deal["owner_id"]})
        items = [{"user_id": user, "add_time": deal["add_time"]} for user in users]
        return {"success": True, "data": items, "additional_data": {"next_cursor": None}}

    def _require_deal(self, deal_id: int) -> dict[str, Any]:
        if not self.emu.exists("deals", deal_id):
            raise ApiError(404, "Deal not found")
        return self.emu.build("deals", deal_id - 1)
