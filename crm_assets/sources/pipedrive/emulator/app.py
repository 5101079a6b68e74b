"""A Pipedrive API emulator: a WSGI app that answers like api.pipedrive.com (v1 and v2).

Faithful to the vendor as docs/pipedrive-api.md describes it:
- v2 on `/api/v2/...` (cursor pages), v1 on both `/v1/...` and `/api/v1/...` (offset
  pages); a client needs only the base URL (the server root) changed;
- the token in the `x-api-token` header, the `api_token` query parameter or
  `Authorization: Bearer`; otherwise 401 with Pipedrive's body;
- success and error envelopes, 404 for unknown paths, 400 for bad parameters, and
  410 Gone for the v1 endpoints Pipedrive retired in favour of v2 (`retired.py`);
- every field list: v1 and v2 `{deal,person,organization,product,activity}Fields`
  and v1 `noteFields`, `leadFields`; v1 fields without options have no `options` key;
- the endpoints peer connectors call though the project does not (`peers.py`);
- `x-ratelimit-*` headers on every JSON answer, 429 over the 2-second burst, a
  Cloudflare 403 HTML page after persistent 429s, and an optional daily token budget
  (`limits.py`);
- deleted (30 days) and archived deals, custom fields keyed by 40-hex hashes with
  option sets, `updated_since`/`updated_until`, `sort_by`, `status` filters.

Data is seeded and deterministic for (seed, anchor, scale, sizes): by default 20,000
deals, 10,000 persons, 5,000 organizations, 30,000 activities, 8,000 notes, 500
products, 25 users, 5 teams, 3 pipelines of 5 stages and 8 activity types; `scale`
multiplies deals, persons, organizations, activities and notes (scale=50 gives a
million deals) and `sizes` overrides any count. See `data.py` for the layout.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from crm_assets.core.emulation import EmulatorApp
from crm_assets.sources.pipedrive.emulator.data import (
    ARCHIVED,
    DELETED,
    TABLES,
    Dataset,
    resolve_sizes,
)
from crm_assets.sources.pipedrive.emulator.field_specs import ENTITIES
from crm_assets.sources.pipedrive.emulator.http import ApiError, error_body, json_response
from crm_assets.sources.pipedrive.emulator.limits import COSTS, RateLimiter
from crm_assets.sources.pipedrive.emulator.peers import PeerEndpoints
from crm_assets.sources.pipedrive.emulator.recents import recents
from crm_assets.sources.pipedrive.emulator.retired import check_retired
from crm_assets.sources.pipedrive.emulator.store import Store
from crm_assets.sources.pipedrive.emulator.v1 import V1
from crm_assets.sources.pipedrive.emulator.v2 import V2

UNAUTHORIZED = error_body(401, "unauthorized access")
FIELDS = {"deal": "deals", "person": "persons", "organization": "organizations",
          "product": "products", "activity": "activities", "note": "notes",
          "lead": "leads"}  # fmt: skip
_F = "(deal|person|organization|product|activity)Fields"
_F_V1_ONLY = "(note|lead)Fields"  # lists v2 does not have
_ENTITY = "(persons|organizations|activities|products)"

Handler = Callable[..., dict[str, Any]]
# (path after the version prefix, "list" or "single" for the token cost, handler).
V2_ROUTES: list[tuple[str, str, Handler]] = [
    ("deals", "list", lambda e, a: e.v2.list("deals", a)),
    ("deals/archived", "list", lambda e, a: e.v2.list("deals", a, archived=True)),
    ("deals/products", "list", lambda e, a: e.v2.deal_products(a)),
    (r"deals/(\d+)", "single", lambda e, a, i: e.v2.get("deals", a, int(i))),
    (r"deals/(\d+)/products", "list", lambda e, a, i: e.v2.deal_products(a, int(i))),
    (_ENTITY, "list", lambda e, a, n: e.v2.list(n, a)),
    (_ENTITY + r"/(\d+)", "single", lambda e, a, n, i: e.v2.get(n, a, int(i))),
    ("pipelines", "list", lambda e, a: e.v2.pipelines(a)),
    ("stages", "list", lambda e, a: e.v2.stages(a)),
    (r"(pipelines|stages)/(\d+)", "single", lambda e, a, n, i: e.v2.pipeline_or_stage(n, int(i))),
    (r"deals/(\d+)/followers", "list", lambda e, a, i: e.peers.deal_followers(int(i), a)),
    (_F, "list", lambda e, a, n: e.v2.fields(FIELDS[n], a)),
    (_F + "/([^/]+)", "single", lambda e, a, n, code: e.v2.field(FIELDS[n], code)),
]
V1_ROUTES: list[tuple[str, str, Handler]] = [
    (_F, "list", lambda e, a, n: e.v1.fields(FIELDS[n], a)),
    (_F + r"/(\d+)", "single", lambda e, a, n, i: e.v1.field(FIELDS[n], int(i))),
    (_F_V1_ONLY, "list", lambda e, a, n: e.v1.fields(FIELDS[n], a)),
    ("notes", "list", lambda e, a: e.v1.notes(a)),
    (r"notes/(\d+)", "single", lambda e, a, i: e.v1.note(int(i))),
    ("users", "list", lambda e, a: e.v1.users(a)),
    ("users/me", "single", lambda e, a: e.v1.me(a)),
    (r"users/(\d+)", "single", lambda e, a, i: e.v1.user(int(i))),
    ("legacyTeams", "list", lambda e, a: e.v1.teams(a)),
    (r"legacyTeams/(\d+)", "single", lambda e, a, i: e.v1.team(int(i), a)),
    (r"legacyTeams/(\d+)/users", "list", lambda e, a, i: e.v1.team_users(int(i))),
    ("activityTypes", "list", lambda e, a: e.v1.activity_types(a)),
    (r"deals/(\d+)/flow", "list", lambda e, a, i: e.v1.flow(int(i), a)),
    ("recents", "list", lambda e, a: recents(e.store, a)),
    # Served for peer connectors; the project does not read them (peers.py).
    (r"deals/(\d+)/products", "list", lambda e, a, i: e.peers.deal_products(int(i), a)),
    (r"deals/(\d+)/participants", "list", lambda e, a, i: e.peers.deal_participants(int(i), a)),
    (r"deals/(\d+)/followers", "list", lambda e, a, i: e.peers.deal_followers_v1(int(i), a)),
    (r"deals/(\d+)/mailMessages", "list", lambda e, a, i: e.peers.deal_mail_messages(int(i), a)),
    ("leads/search", "list", lambda e, a: e.peers.lead_search(a)),
    (r"leads/([0-9a-f-]{36})", "single", lambda e, a, i: e.peers.missing("Lead")),
    (r"filters/(\d+)", "single", lambda e, a, i: e.peers.missing("Filter")),
    ("webhooks", "list", lambda e, a: e.peers.webhooks(a)),
    ("currencies", "list", lambda e, a: e.peers.currencies(a)),
    ("(?:leads|files|filters)", "list", lambda e, a: e.peers.empty(a)),
]
_COMPILED = {
    "v2": [(re.compile(p + "$"), kind, h) for p, kind, h in V2_ROUTES],
    "v1": [(re.compile(p + "$"), kind, h) for p, kind, h in V1_ROUTES],
}
_PREFIX = re.compile(r"^/(?:api/(v2|v1)|(v1))/(.+?)/?$")


class PipedriveEmulator(EmulatorApp):
    """Pipedrive's read API over seeded data, with its auth, envelopes and rate limits.

    `clock` (monotonic seconds) drives the rate-limit windows and blocks; tests pass
    their own. More than `abuse_threshold` 429s within `abuse_window` seconds earn a
    403 block of `block_seconds`. Admin methods take ids and, for times, aware or
    naive (= UTC) datetimes.
    """

    def __init__(
        self,
        *,
        token: str = "demo-token",
        seed: int = 11,
        anchor: date | None = None,
        scale: float = 1.0,
        sizes: dict[str, int] | None = None,
        burst_limit: int = 20,
        daily_budget: int | None = None,
        latency: float = 0.0,
        abuse_threshold: int = 10,
        abuse_window: float = 10.0,
        block_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        super().__init__(latency=latency)
        self.token = token
        self.clock = clock
        self.data = Dataset(
            seed=seed, anchor=anchor or datetime.now(UTC).date(), sizes=resolve_sizes(scale, sizes)
        )
        self.store = Store(self.data, seed)
        # The parts tests and admin methods reach for, under their familiar names.
        self.catalog, self.fields = self.store.catalog, self.store.fields
        self.factory, self.children = self.store.factory, self.store.children
        self.v1, self.v2 = V1(self.store), V2(self.store)
        self.peers = PeerEndpoints(self.store)
        self.limits = RateLimiter(
            burst_limit=burst_limit, daily_budget=daily_budget, abuse_threshold=abuse_threshold,
            abuse_window=abuse_window, block_seconds=block_seconds, clock=clock,
        )  # fmt: skip
        self._short_pages: list[list[Any]] = []  # [path prefix, records kept, times left]

    # -- the wire ----------------------------------------------------------------------

    def arrive(self, request: Request) -> Response | None:
        now = self.clock()
        token = _presented_token(request)
        limits = self.limits
        if limits.blocked(token, now):
            return limits.block_page()
        if not limits.take(token, now):
            limits.rejected(token, now)
            return self._answer(429, error_body(429, "Request over limit"), token, now)
        return None

    def handle(self, request: Request) -> Response:
        now = self.clock()
        token = _presented_token(request)
        limits = self.limits
        if token != self.token:
            return self._answer(401, UNAUTHORIZED, token, now)
        try:
            version, kind, handler, groups = _route(request)
            cost = COSTS[(version, kind)]
            if not limits.affordable(cost, now):
                limits.rejected(token, now)
                message = (
                    "Daily rate limit reached: the company's API token budget for today is used up"
                )
                reset = {"x-ratelimit-reset": str(limits.seconds_to_midnight(now))}
                return self._answer(429, error_body(429, message), token, now, reset)
            body = self._shortened(request.path, handler(self, request.args, *groups))
            limits.spend(cost, now)
            return self._answer(200, body, token, now)
        except ApiError as error:
            body = error_body(error.status, error.message, error.info)
            return self._answer(error.status, body, token, now)

    def _shortened(self, path: str, body: Any) -> Any:
        pagination = ((body or {}).get("additional_data") or {}).get("pagination")
        fault = next((f for f in self._short_pages if path.startswith(f[0])), None)
        if fault is None or pagination is None or len(body["data"] or []) <= fault[1]:
            return body
        fault[2] -= 1
        if not fault[2]:
            self._short_pages.remove(fault)
        body["data"] = body["data"][: fault[1]]
        start, limit = pagination["start"], pagination["limit"]
        pagination.update(more_items_in_collection=True, next_start=start + limit)
        return body

    def _answer(self, status, body, token, now, extra: dict[str, str] | None = None) -> Response:
        headers = self.limits.burst_headers(token, now) | self.limits.daily_headers(now)
        return json_response(status, body, headers | (extra or {}))

    # -- used by the handlers ----------------------------------------------------------------

    def exists(self, entity: str, item_id: int) -> bool:
        return self.store.exists(entity, item_id)

    def build(self, entity: str, i: int) -> dict[str, Any]:
        return self.store.build(entity, i)

    # -- admin and test API ------------------------------------------------------------------

    def records(self, entity: str) -> list[dict[str, Any]]:
        """Every record of an entity as served, with no filters: deleted (not yet purged)
        and archived deals included. Big entities in their v2 list shape; notes, users,
        teams and activity types in their v1 shape; also pipelines, stages, deal_products.
        """
        with self.lock:
            return _all_records(self, entity)

    def delete_deal(self, deal_id: int, when: datetime | None = None) -> None:
        """Mark a deal deleted (`status` deleted, `is_deleted` true); it updates now (or `when`)."""
        self._flag_deal(deal_id, DELETED, when)

    def archive_deal(self, deal_id: int, when: datetime | None = None) -> None:
        """Archive a deal: it leaves `/api/v2/deals` for `/api/v2/deals/archived`."""
        self._flag_deal(deal_id, ARCHIVED, when)

    def null_flow(self, deal_ids: list[int], calls: int = 1) -> None:
        """Answer the next `calls` flow requests of each deal with `200 {"data": null}`,
        as Pipedrive now and then does for a deal that has history."""
        with self.lock:
            for deal_id in deal_ids:
                self._require("deals", deal_id)
                self.children.null_flows[deal_id] = calls

    def shorten(self, path_prefix: str, keep: int, times: int = 1) -> None:
        """Serve the next `times` v1 offset pages under `path_prefix` that hold more than
        `keep` records with only their first `keep`, while `additional_data.pagination`
        still announces the full page (`more_items_in_collection`, `next_start` one
        `limit` on): a page shorter than the page size it announces."""
        with self.lock:
            self._short_pages.append([path_prefix, keep, times])

    def clear_faults(self) -> None:
        with self.lock:
            super().clear_faults()
            self._short_pages.clear()

    def touch(self, entity: str, item_id: int, when: datetime | None = None) -> None:
        """Set a record's update time to `when` (default: one second after the last change)."""
        if entity not in TABLES:
            raise ValueError(f"touch supports {', '.join(TABLES)}, not {entity!r}")
        with self.lock:
            self._require(entity, item_id)
            self.data.table(entity).set_update(item_id - 1, self.data.change_time(when))

    def field_definitions(self, entity: str) -> list[dict[str, Any]]:
        """The v2 field items of deals, persons, organizations, products or activities."""
        if entity not in ENTITIES:
            raise ValueError(f"field definitions exist for {', '.join(ENTITIES)}, not {entity!r}")
        return self.fields.v2_items(entity)

    def _flag_deal(self, deal_id: int, flag: int, when: datetime | None) -> None:
        with self.lock:
            self._require("deals", deal_id)
            table = self.data.table("deals")
            table.set_state(deal_id - 1, table.state[deal_id - 1] | flag)
            table.set_update(deal_id - 1, self.data.change_time(when))

    def _require(self, entity: str, item_id: int) -> None:
        if not self.exists(entity, item_id):
            raise KeyError(f"no {entity} record with id {item_id}")


def _presented_token(request: Request) -> str:
    header = request.headers.get("x-api-token")
    if header:
        return header
    authorization = request.headers.get("Authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return request.args.get("api_token", "")


def _route(request: Request) -> tuple[str, str, Handler, tuple[str, ...]]:
    match = _PREFIX.match(request.path)
    if match and (match.group(1) or match.group(2)) == "v1":
        check_retired(request.method, match.group(3))
    if request.method in ("GET", "HEAD") and match:
        version = match.group(1) or match.group(2)
        for pattern, kind, handler in _COMPILED[version]:
            found = pattern.match(match.group(3))
            if found:
                return version, kind, handler, found.groups()
    raise ApiError(404, "Unknown method .")


def _all_records(emu: PipedriveEmulator, entity: str) -> list[dict[str, Any]]:
    catalog = emu.catalog
    lists = {
        "pipelines": catalog.pipelines, "stages": catalog.stages, "users": catalog.users,
        "teams": catalog.teams, "activity_types": catalog.activity_types,
    }  # fmt: skip
    if entity in lists:
        return copy.deepcopy(lists[entity])
    if entity == "deal_products":
        deals = range(1, emu.data.sizes["deals"] + 1)
        return [p for d in deals if emu.exists("deals", d) for p in emu.children.deal_products(d)]
    if entity not in TABLES:
        known = sorted([*TABLES, *lists, "deal_products"])
        raise ValueError(f"unknown entity {entity!r}; known: {', '.join(known)}")
    count = emu.data.sizes[entity]
    return [emu.build(entity, i) for i in range(count) if emu.exists(entity, i + 1)]
