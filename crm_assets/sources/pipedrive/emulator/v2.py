"""The emulator's API v2 endpoints (`/api/v2/...`), cursor paged.

docs/pipedrive-api.md, "Pagination", "Endpoints", "Deleted records" and
"Custom fields"; parameters as in client-php `docs/versions/v2/Api/*.md`:
- `limit` (default 100, at most 500), `cursor`, `sort_by`, `sort_direction`;
- `updated_since` (`>=`) / `updated_until` (`<`), RFC3339; products take only
  `updated_since` (an `updated_until` there is ignored, as unknown parameters are);
- deals: `status` = comma list of open, won, lost, deleted (omitted: every deal that
  is not deleted; deleted: those deleted in the last 30 days); archived deals live
  only on `/deals/archived`;
- `custom_fields=k1,k2` (at most 15), `include_fields`; `include_option_labels=true`
  on deals, persons and organizations only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crm_assets.sources.pipedrive.emulator.data import (
    ARCHIVED,
    DELETED,
    DELETED_WINDOW,
    DONE,
    STATUS_MASK,
    STATUSES,
)
from crm_assets.sources.pipedrive.emulator.http import (
    ApiError,
    Args,
    bool_param,
    choice_param,
    csv_param,
    cursor_page,
    ids_param,
    int_param,
    limit_param,
    parse_rfc3339,
    time_param,
)
from crm_assets.sources.pipedrive.emulator.query import add_key, id_key, update_key
from crm_assets.sources.pipedrive.emulator.store import SINGULAR, Store

BASE_SORTS = ("id", "update_time", "add_time")
SORTS = {
    "deals": BASE_SORTS,
    "persons": BASE_SORTS,
    "organizations": BASE_SORTS,
    "activities": (*BASE_SORTS, "due_date"),
    "products": ("id", "name", "add_time", "update_time"),
}
# Query parameters that filter on a record's references, per entity.
REF_FILTERS = {
    "deals": ("owner_id", "person_id", "org_id", "pipeline_id", "stage_id"),
    "persons": ("owner_id", "org_id"),
    "organizations": ("owner_id",),
    "activities": ("owner_id", "deal_id", "person_id", "org_id"),
    "products": ("owner_id",),
}
DEAL_STATUSES = ("open", "won", "lost", "deleted")
LABELLED = ("deals", "persons", "organizations")


def ok(data: Any, next_cursor: str | None = None, paged: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {"success": True, "data": data}
    if paged:
        body["additional_data"] = {"next_cursor": next_cursor}
    return body


class V2:
    """Handlers for `/api/v2/...`; each returns a response body or raises ApiError."""

    def __init__(self, store: Store):
        self.emu = store
        self._name_rank: list[int] | None = None

    # -- the five big entities ----------------------------------------------------------

    def list(self, entity: str, args: Args, archived: bool = False) -> dict[str, Any]:
        emu = self.emu
        table = emu.data.table(entity)
        limit = limit_param(args)
        sort_field = choice_param(args, "sort_by", SORTS[entity], "id")
        direction = choice_param(args, "sort_direction", ("asc", "desc"), "asc")
        since = time_param(args, "updated_since")
        until = time_param(args, "updated_until") if entity != "products" else None
        keep, key = self._filters(entity, args, archived)
        order = emu.cache.order(
            table, key=key, keep=keep, since=since, until=until, sort_field=sort_field,
            sort_key=self._sort_key(entity, sort_field), direction=direction,
        )  # fmt: skip
        render = self._renderer(entity, args)
        page, next_cursor = cursor_page(
            order, self._sort_key(entity, sort_field), sort_field, direction,
            args.get("cursor"), limit,
        )  # fmt: skip
        return ok([render(i) for i in page], next_cursor)

    def get(self, entity: str, args: Args, item_id: int) -> dict[str, Any]:
        if not self.emu.exists(entity, item_id):
            raise ApiError(404, f"{SINGULAR[entity].capitalize()} not found")
        return ok(self._renderer(entity, args)(item_id - 1), paged=False)

    def _filters(self, entity: str, args: Args, archived: bool):
        """A predicate over table indices, and a hashable description of it."""
        emu, tests, key = self.emu, [], []
        if entity == "deals":
            tests.append(self._deal_status_test(args, archived))
            key.append(("status", tuple(csv_param(args, "status")), archived))
        for name in REF_FILTERS[entity]:
            wanted = int_param(args, name)
            if wanted is not None:
                tests.append(self._ref_test(entity, name, wanted))
                key.append((name, wanted))
        ids = ids_param(args, "ids", maximum=100)
        if ids:
            wanted_ids = {i - 1 for i in ids}
            tests.append(wanted_ids.__contains__)
            key.append(("ids", tuple(sorted(ids))))
        if entity == "activities":
            done = bool_param(args, "done")
            if done is not None:
                state = emu.data.table("activities").state
                tests.append(lambda i: bool(state[i] & DONE) == done)
                key.append(("done", done))
        if not tests:
            return None, ()
        if len(tests) == 1:
            return tests[0], tuple(key)
        return (lambda i: all(test(i) for test in tests)), tuple(key)

    def _deal_status_test(self, args: Args, archived: bool) -> Callable[[int], bool]:
        statuses = csv_param(args, "status")
        unknown = [s for s in statuses if s not in DEAL_STATUSES]
        if unknown:
            raise ApiError(400, f"Invalid value for 'status': {', '.join(unknown)}")
        wanted = {STATUSES.index(s) for s in statuses if s != "deleted"}
        if not statuses:
            wanted = {0, 1, 2}
        with_deleted = "deleted" in statuses
        table = self.emu.data.table("deals")
        state, upd = table.state, table.upd
        cutoff = self.emu.data.present - DELETED_WINDOW
        archive_bit = ARCHIVED if archived else 0

        def test(i: int) -> bool:
            bits = state[i]
            if bits & ARCHIVED != archive_bit:
                return False
            if bits & DELETED:
                return with_deleted and upd[i] >= cutoff
            return bits & STATUS_MASK in wanted

        return test

    def _ref_test(self, entity: str, name: str, wanted: int) -> Callable[[int], bool]:
        records = self.emu.factory
        if name == "owner_id":
            return lambda i: records.owner(entity, i + 1) == wanted
        if entity == "deals":
            position = REF_FILTERS["deals"].index(name)
            return lambda i: records.deal_refs(i + 1)[position] == wanted
        if entity == "persons":
            return lambda i: records.person_org(i + 1) == wanted
        position = ("deal_id", "person_id", "org_id").index(name)
        return lambda i: records.activity_refs(i + 1)[position] == wanted

    def _sort_key(self, entity: str, field: str) -> Callable[[int], int]:
        table = self.emu.data.table(entity)
        if field == "update_time":
            return update_key(table)
        if field == "add_time":
            return add_key(table)
        if field == "due_date":
            return self.emu.factory.due
        if field == "name":
            return self._product_name_rank().__getitem__
        return id_key

    def _product_name_rank(self) -> list[int]:
        if self._name_rank is None:
            count = self.emu.data.sizes["products"]
            name = self.emu.factory.product_name
            ordered = sorted(range(count), key=lambda i: (name(i + 1), i))
            self._name_rank = [0] * count
            for rank, i in enumerate(ordered):
                self._name_rank[i] = rank
        return self._name_rank

    def _renderer(self, entity: str, args: Args) -> Callable[[int], dict[str, Any]]:
        emu = self.emu
        # Only deals, persons and organizations take `include_option_labels`; the
        # other lists ignore it, as they ignore any parameter they do not know.
        labels = entity in LABELLED and bool(bool_param(args, "include_option_labels"))
        keys = emu.fields.check_keys(csv_param(args, "custom_fields"))
        extras = csv_param(args, "include_fields")
        build = getattr(emu.factory, SINGULAR[entity])

        def render(i: int) -> dict[str, Any]:
            record = build(i, labels=labels, keys=keys)
            for name in extras:
                record[name] = self._extra(entity, i + 1, name)
            return record

        return render

    def _extra(self, entity: str, item_id: int, name: str) -> Any:
        """An `include_fields` value: counts are drawn from the id, other extras null."""
        if entity == "deals" and name == "products_count":
            return len(self.emu.children.deal_products(item_id))
        if name.endswith("_count"):
            return self.emu.data.rand(entity, item_id)(90 + len(name)) % 6
        return None

    # -- deal products --------------------------------------------------------------------

    def deal_products(self, args: Args, deal_id: int | None = None) -> dict[str, Any]:
        sorts = ("id", "add_time", "update_time", "order_nr")
        if deal_id is None:
            if not csv_param(args, "deal_ids"):
                raise ApiError(400, "Missing required parameter 'deal_ids'")
            deal_ids = ids_param(args, "deal_ids", maximum=100) or []
            sorts = (*sorts, "deal_id")
        elif not self.emu.exists("deals", deal_id):
            raise ApiError(404, "Deal not found")
        else:
            deal_ids = [deal_id]
        limit = limit_param(args)
        field = choice_param(args, "sort_by", sorts, "id")
        direction = choice_param(args, "sort_direction", ("asc", "desc"), "asc")
        items = [
            item
            for d in sorted(set(deal_ids))
            if self.emu.exists("deals", d)
            for item in self.emu.children.deal_products(d)
        ]
        return self._list_page(items, field, direction, args.get("cursor"), limit)

    # -- small lists: pipelines, stages, fields ----------------------------------------------

    def pipelines(self, args: Args) -> dict[str, Any]:
        return self._small("pipelines", self.emu.catalog.pipelines, args, BASE_SORTS)

    def stages(self, args: Args) -> dict[str, Any]:
        pipeline = int_param(args, "pipeline_id")
        stages = self.emu.catalog.stages
        if pipeline is not None:
            stages = [s for s in stages if s["pipeline_id"] == pipeline]
        return self._small("stages", stages, args, (*BASE_SORTS, "order_nr"))

    def pipeline_or_stage(self, name: str, item_id: int) -> dict[str, Any]:
        """`/pipelines/{id}` or `/stages/{id}`: one item, not paged."""
        items = self.emu.catalog.pipelines if name == "pipelines" else self.emu.catalog.stages
        for item in items:
            if item["id"] == item_id:
                return ok(item, paged=False)
        raise ApiError(404, f"{name[:-1].capitalize()} not found")

    def fields(self, entity: str, args: Args) -> dict[str, Any]:
        items = self.emu.fields.v2_items(entity)
        page, next_cursor = cursor_page(
            range(len(items)), id_key, "id", "asc", args.get("cursor"), limit_param(args)
        )
        return ok([items[i] for i in page], next_cursor)

    def field(self, entity: str, code: str) -> dict[str, Any]:
        for item in self.emu.fields.v2_items(entity):
            if item["field_code"] == code:
                return ok(item, paged=False)
        raise ApiError(404, "Field not found")

    def _small(self, name: str, items: list[dict], args: Args, sorts) -> dict[str, Any]:
        field = choice_param(args, "sort_by", sorts, "id")
        direction = choice_param(args, "sort_direction", ("asc", "desc"), "asc")
        return self._list_page(items, field, direction, args.get("cursor"), limit_param(args))

    def _list_page(self, items, field, direction, cursor, limit) -> dict[str, Any]:
        def key(position: int) -> int:
            value = items[position][field]
            return int(parse_rfc3339(value, field)) if field.endswith("_time") else value

        order = sorted(range(len(items)), key=lambda p: (key(p), items[p]["id"]))
        if direction == "desc":
            order.reverse()
        page, next_cursor = cursor_page(
            order, key, field, direction, cursor, limit, ident=lambda p: items[p]["id"]
        )
        return ok([items[p] for p in page], next_cursor)
