"""The emulator's API v1 endpoints (`/v1/...` and `/api/v1/...`), offset paged.

docs/pipedrive-api.md, "Endpoints" (the v1 paths peers still use) and
"Pagination" (v1): `start` (default 0) and `limit` (default 100, at most 500);
`additional_data.pagination = {start, limit, more_items_in_collection, next_start}`,
`next_start` only while more items follow. Parameters as in client-php
`docs/versions/v1/Api/*.md`:
- `notes`: `user_id`, `deal_id`, `person_id`, `org_id`, `start_date`/`end_date`
  (YYYY-MM-DD, on the creation date, inclusive), `updated_since` (RFC3339, `>=`),
  `pinned_to_{deal,person,organization}_flag` (0/1), `sort` (`update_time ASC,id DESC`;
  fields id, user_id, deal_id, person_id, org_id, content, add_time, update_time);
- `users`, `activityTypes`: every item, no paging; `legacyTeams`: `order_by`, `skip_users`;
- `deals/{id}/flow`: `start`, `limit`, `all_changes=1`, `items=dealChange,note`.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from crm_assets.sources.pipedrive.emulator.http import (
    ApiError,
    Args,
    bool_param,
    csv_param,
    date_param,
    int_param,
    limit_param,
    offset_pagination,
    start_param,
    time_param,
)
from crm_assets.sources.pipedrive.emulator.store import Store

NOTE_SORTS = (
    "id",
    "user_id",
    "deal_id",
    "person_id",
    "org_id",
    "content",
    "add_time",
    "update_time",
)
TEAM_ORDERS = ("id", "name", "manager_id", "active_flag")
FLOW_KINDS = ("dealChange", "note")


def ok(data: Any, additional: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"success": True, "data": data}
    if additional is not None:
        body["additional_data"] = additional
    return body


def paged(items: list[Any], args: Args) -> dict[str, Any]:
    start, limit = start_param(args), limit_param(args)
    return ok(
        items[start : start + limit], {"pagination": offset_pagination(len(items), start, limit)}
    )


class V1:
    """Handlers for the v1 paths; each returns a response body or raises ApiError."""

    def __init__(self, store: Store):
        self.emu = store
        self._notes_cache: tuple[Any, list[int]] | None = None

    def fields(self, entity: str, args: Args) -> dict[str, Any]:
        return paged(self.emu.fields.v1_items(entity), args)

    def field(self, entity: str, field_id: int) -> dict[str, Any]:
        for item in self.emu.fields.v1_items(entity):
            if item["id"] == field_id:
                return ok(item)
        raise ApiError(404, "Field not found")

    # -- notes ----------------------------------------------------------------------------

    def notes(self, args: Args) -> dict[str, Any]:
        start, limit = start_param(args), limit_param(args)
        order = self._note_order(args)
        page = [self.emu.children.note(i) for i in order[start : start + limit]]
        return ok(page, {"pagination": offset_pagination(len(order), start, limit)})

    def note(self, note_id: int) -> dict[str, Any]:
        if not 1 <= note_id <= self.emu.data.sizes["notes"]:
            raise ApiError(404, "Note not found")
        return ok(self.emu.children.note(note_id - 1))

    def _note_order(self, args: Args) -> list[int]:
        refs = {
            name: int_param(args, name) for name in ("user_id", "deal_id", "person_id", "org_id")
        }
        pins = {
            name: bool_param(args, f"pinned_to_{name}_flag", numeric=True)
            for name in ("deal", "person", "organization")
        }
        first, last = date_param(args, "start_date"), date_param(args, "end_date")
        since = time_param(args, "updated_since")
        terms = self._sort_terms(args.get("sort") or "id ASC")
        table = self.emu.data.table("notes")
        key = (
            table.version,
            tuple(refs.items()),
            tuple(pins.items()),
            first,
            last,
            since,
            tuple(terms),
        )
        if self._notes_cache and self._notes_cache[0] == key:
            return self._notes_cache[1]
        children = self.emu.children
        lo = -float("inf") if first is None else datetime.combine(first, time(), UTC).timestamp()
        hi = (
            float("inf")
            if last is None
            else datetime.combine(last, time(), UTC).timestamp() + 86_400
        )
        by_ref = {k: v for k, v in refs.items() if v is not None}
        by_pin = {k: v for k, v in pins.items() if v is not None}

        def keep(i: int) -> bool:
            if not lo <= table.add[i] < hi or (since is not None and table.upd[i] < since):
                return False
            if by_ref:
                values = dict(
                    zip(
                        ("user_id", "deal_id", "person_id", "org_id"),
                        children.note_refs(i + 1),
                        strict=True,
                    )
                )
                if any(values[k] != v for k, v in by_ref.items()):
                    return False
            if by_pin:
                note = children.note(i)
                return all(note[f"pinned_to_{k}_flag"] == v for k, v in by_pin.items())
            return True

        order = [i for i in range(len(table)) if keep(i)]
        for field, descending in reversed(terms):  # stable sorts, last term first
            order.sort(key=self._note_key(field), reverse=descending)
        self._notes_cache = (key, order)
        return order

    def _sort_terms(self, raw: str) -> list[tuple[str, bool]]:
        terms = []
        for part in raw.split(","):
            words = part.split()
            if not words or len(words) > 2 or words[0] not in NOTE_SORTS:
                raise ApiError(400, f"Invalid value for 'sort': '{raw}'")
            direction = words[1].upper() if len(words) == 2 else "ASC"
            if direction not in ("ASC", "DESC"):
                raise ApiError(400, f"Invalid value for 'sort': '{raw}'")
            terms.append((words[0], direction == "DESC"))
        return terms

    def _note_key(self, field: str):
        table, children = self.emu.data.table("notes"), self.emu.children
        if field == "id":
            return lambda i: i
        if field in ("add_time", "update_time"):
            return (table.add if field == "add_time" else table.upd).__getitem__
        if field == "content":
            return lambda i: children.note(i)["content"]
        position = ("user_id", "deal_id", "person_id", "org_id").index(field)
        return lambda i: children.note_refs(i + 1)[position] or 0

    # -- users, teams, activity types ----------------------------------------------------------

    def users(self, args: Args) -> dict[str, Any]:
        return ok(self.emu.catalog.users)

    def user(self, user_id: int) -> dict[str, Any]:
        if not 1 <= user_id <= len(self.emu.catalog.users):
            raise ApiError(404, "User not found")
        return ok(self.emu.catalog.user(user_id))

    def me(self, args: Args) -> dict[str, Any]:
        me = dict(self.emu.catalog.user(1))
        me.update(
            {
                "company_id": 1,
                "company_name": "Emulated Company",
                "company_domain": "emulated",
                "company_country": "DE",
            }
        )
        return ok(me)

    def teams(self, args: Args) -> dict[str, Any]:
        order_by = args.get("order_by") or "id"
        if order_by not in TEAM_ORDERS:
            raise ApiError(400, f"Invalid value for 'order_by': '{order_by}'")
        skip = bool_param(args, "skip_users", numeric=True)
        teams = sorted(self.emu.catalog.teams, key=lambda t: (t[order_by], t["id"]))
        return ok([self._team(t, skip) for t in teams])

    def team(self, team_id: int, args: Args) -> dict[str, Any]:
        teams = self.emu.catalog.teams
        if not 1 <= team_id <= len(teams):
            raise ApiError(404, "Team not found")
        return ok(self._team(teams[team_id - 1], bool_param(args, "skip_users", numeric=True)))

    def team_users(self, team_id: int) -> dict[str, Any]:
        teams = self.emu.catalog.teams
        if not 1 <= team_id <= len(teams):
            raise ApiError(404, "Team not found")
        return ok(list(teams[team_id - 1]["users"]))

    @staticmethod
    def _team(team: dict[str, Any], skip_users: bool | None) -> dict[str, Any]:
        return {k: v for k, v in team.items() if not (skip_users and k == "users")}

    def activity_types(self, args: Args) -> dict[str, Any]:
        return ok(self.emu.catalog.activity_types)

    # -- deal flow --------------------------------------------------------------------------

    def flow(self, deal_id: int, args: Args) -> dict[str, Any]:
        emu = self.emu
        if not emu.exists("deals", deal_id):
            raise ApiError(404, "Deal not found")
        kinds = set(csv_param(args, "items"))
        unknown = (
            kinds - set(FLOW_KINDS) - {"activity", "file", "mailMessage", "invoice", "document"}
        )
        if unknown:
            raise ApiError(400, f"Invalid value for 'items': {', '.join(sorted(unknown))}")
        all_changes = args.get("all_changes") == "1"
        start, limit = start_param(args), limit_param(args)
        if emu.children.flow_is_null(deal_id):
            # The vendor's fault as it looks: success, no data, nothing more to read.
            return ok(None, {"pagination": offset_pagination(0, start, limit)})
        items = emu.children.flow(deal_id, all_changes, kinds or None)
        deal = emu.build("deals", deal_id - 1)
        users = {item["data"]["user_id"] for item in items[start : start + limit]} | {
            deal["owner_id"]
        }
        related = {
            "deal": {str(deal_id): {k: deal[k] for k in ("id", "title", "status", "value", "currency", "stage_id", "pipeline_id")}},
            "user": {
                str(u): {"id": u, "name": emu.catalog.user(u)["name"], "email": emu.catalog.user(u)["email"],
                         "has_pic": 0, "pic_hash": None, "active_flag": emu.catalog.user(u)["active_flag"]}
                for u in sorted(users)
            },
        }  # fmt: skip
        body = ok(
            items[start : start + limit],
            {"pagination": offset_pagination(len(items), start, limit)},
        )
        body["related_objects"] = related
        return body
