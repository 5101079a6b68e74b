"""A Kommo API v4 emulator: a WSGI app that answers like `{subdomain}.kommo.com/api/v4`.

Faithful to the vendor as docs/kommo-api.md describes it: `Authorization: Bearer`
auth (401 problem otherwise), HAL lists with `_links.next` (custom fields and users
counted, pipelines and statuses whole: `hal.py`), 204 for an empty page
(also the one a full last page's `next` link leads to), `filter[updated_at]` /
`filter[created_at]` windows in unix seconds, `order[updated_at]`, deleted leads
only through `with=only_deleted` (which the contacts and companies lists ignore),
deleted contacts and companies only as events, every custom field type, and the
7-requests-per-second limit with 429 and then a 403 block (`limits.py`).

Records are computed from their index (`data.py`, `sequence.py`): 10,000 leads by
default, up to a million without holding them in memory.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from crm_assets.core.emulation import EmulatorApp
from crm_assets.sources.kommo.emulator import custom_fields
from crm_assets.sources.kommo.emulator.data import (
    ACCOUNT_ID,
    ARCHIVED_PIPELINES,
    CATALOGS,
    DEFAULT_SIZES,
    ID_BASE,
    Dataset,
)
from crm_assets.sources.kommo.emulator.hal import (
    Problem,
    collection,
    counted_list,
    hal_list,
    hal_object,
    page_args,
    self_link,
)
from crm_assets.sources.kommo.emulator.limits import RateLimiter
from crm_assets.sources.kommo.emulator.lists import Lists

_PREFIX = re.compile(r"^/api/v4/(.+?)/?$")
Handler = Callable[..., Response]


class KommoEmulator(EmulatorApp):
    """Kommo's read API over computed data, with its auth, envelopes and limits.

    `scale` multiplies the default record counts (leads, contacts, companies, tasks,
    notes) and `sizes` overrides any of them;
    `days` is how far back the records' update times reach from the end of the
    `anchor` day. `clock` (monotonic seconds) drives the rate limit; tests pass their own.
    """

    def __init__(
        self,
        *,
        token: str = "demo-kommo-token",
        anchor: date | None = None,
        days: int = 365,
        sizes: dict[str, int] | None = None,
        scale: float = 1.0,
        per_second: int = 7,
        abuse_threshold: int = 20,
        abuse_window: float = 10.0,
        block_seconds: float = 60.0,
        latency: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        super().__init__(latency=latency)
        self.token = token
        self.anchor = anchor or datetime.now(UTC).date()
        scaled = {kind: max(1, round(n * scale)) for kind, n in DEFAULT_SIZES.items()}
        self.data = Dataset(anchor=self.anchor, days=days, sizes={**scaled, **(sizes or {})})
        self.lists = Lists(self.data)
        self.limiter = RateLimiter(
            per_second=per_second,
            abuse_threshold=abuse_threshold,
            abuse_window=abuse_window,
            block_seconds=block_seconds,
            clock=clock,
        )
        self.routes: list[tuple[re.Pattern[str], Handler]] = [
            (re.compile(p + "$"), h)
            for p, h in [
                ("leads", self.lists.leads),
                (r"(contacts|companies)", self.lists.people),
                ("tasks", self.lists.tasks),
                ("events", self.lists.events),
                (r"(leads|contacts|companies)/notes", self.lists.notes),
                (r"(leads|contacts|companies)/custom_fields", self._custom_fields),
                (r"catalogs/(\d+)/custom_fields", self._catalog_fields),
                ("leads/pipelines", self._pipelines),
                (r"leads/pipelines/(\d+)", self._one_pipeline),
                (r"leads/pipelines/(\d+)/statuses", self._statuses),
                ("users", self._users),
                ("catalogs", self._catalogs),
                (r"catalogs/(\d+)/elements", self._elements),
                ("account", self._account),
                (r"(leads|contacts|companies)/(\d+)", self._one),
            ]
        ]

    def arrive(self, request: Request) -> Response | None:
        try:
            self._authenticate(request)
            refusal = self.limiter.admit(self.token)
            if refusal == 403:
                raise Problem(
                    403, "Forbidden", "Access blocked: request limits repeatedly exceeded"
                )
            if refusal == 429:
                raise Problem(429, "Too Many Requests", "Too many requests: 7 per second at most")
        except Problem as problem:
            return problem.response()
        return None

    def handle(self, request: Request) -> Response:
        try:
            if request.method != "GET":
                raise Problem(405, "Method Not Allowed", f"{request.method} is not emulated")
            match = _PREFIX.match(request.path)
            for pattern, handler in self.routes if match else []:
                found = pattern.match(match.group(1))
                if found:
                    return handler(request, *found.groups())
            raise Problem(404, "Not Found", f"No route for {request.path}")
        except Problem as problem:
            return problem.response()

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("Authorization", "")
        if header != f"Bearer {self.token}":
            raise Problem(401, "Unauthorized", "Invalid or missing access token")

    # -- admin, for tests --------------------------------------------------------

    def peak_rate(self) -> int:
        """The most requests this emulator served within one second."""
        return self.limiter.peak()

    def patch(self, entity: str, record_id: int, **fields: Any) -> None:
        """Edit a live lead, contact or company (its update time stays as computed)."""
        with self.lock:
            key = (entity, record_id - ID_BASE[entity])
            self.data.patches[key] = {**self.data.patches.get(key, {}), **fields}

    # -- small lists ---------------------------------------------------------------

    def _small(self, request: Request, key: str, items: list[dict], path: str) -> Response:
        page, limit = page_args(request)
        chunk = items[(page - 1) * limit : page * limit]
        for item in chunk:
            item["_links"] = self_link(request, f"{path}/{item['id']}")
        return hal_list(request, key, chunk, page, limit, full_page=len(chunk) == limit)

    def _counted(self, request: Request, key: str, items: list[dict], path: str) -> Response:
        page, limit = page_args(request)
        for item in items:
            item["_links"] = self_link(request, f"{path}/{item['id']}")
        return counted_list(request, key, items, page, limit)

    def _custom_fields(self, request: Request, entity: str) -> Response:
        return self._counted(request, "custom_fields", custom_fields.definitions(entity),
                             f"{entity}/custom_fields")  # fmt: skip

    def _catalog_fields(self, request: Request, catalog: str) -> Response:
        if int(catalog) not in {c[0] for c in CATALOGS}:
            raise Problem(404, "Not Found", f"No catalog {catalog}")
        return self._counted(request, "custom_fields",
                             custom_fields.definitions(f"catalogs/{catalog}"),
                             f"catalogs/{catalog}/custom_fields")  # fmt: skip

    def _pipelines(self, request: Request) -> Response:
        items = [self._pipeline(request, n) for n in range(len(self.data.pipelines))]
        return collection(request, "pipelines", items)

    def _one_pipeline(self, request: Request, pipeline: str) -> Response:
        for n, (pid, *_) in enumerate(self.data.pipelines):
            if pid == int(pipeline):
                return hal_object(self._pipeline(request, n))
        raise Problem(404, "Not Found", f"No pipeline {pipeline}")

    def _pipeline(self, request: Request, n: int) -> dict[str, Any]:
        pid, name, main, statuses = self.data.pipelines[n]
        return {
            "id": pid,
            "name": name,
            "sort": (n + 1) * 10,
            "is_main": main,
            "is_unsorted_on": True,
            "is_archive": pid in ARCHIVED_PIPELINES,
            "account_id": ACCOUNT_ID,
            "_links": self_link(request, f"leads/pipelines/{pid}"),
            "_embedded": {"statuses": [dict(s) for s in statuses]},
        }

    def _statuses(self, request: Request, pipeline: str) -> Response:
        for pid, _, _, statuses in self.data.pipelines:
            if pid == int(pipeline):
                return collection(request, "statuses", [dict(s) for s in statuses])
        raise Problem(404, "Not Found", f"No pipeline {pipeline}")

    def _users(self, request: Request) -> Response:
        return self._counted(request, "users", self.data.users(), "users")

    def _catalogs(self, request: Request) -> Response:
        return self._small(request, "catalogs", self.data.catalogs(), "catalogs")

    def _elements(self, request: Request, catalog: str) -> Response:
        if int(catalog) not in {c[0] for c in CATALOGS}:
            raise Problem(404, "Not Found", f"No catalog {catalog}")
        return self._small(request, "elements", self.data.elements(int(catalog)),
                           f"catalogs/{catalog}/elements")  # fmt: skip

    def _account(self, request: Request) -> Response:
        """The account, with the fields of the vendor SDK's AccountModel: one currency
        for every lead's price. `with=` adds `amojo_id`, `uuid` and `version`."""
        with_ = set(filter(None, request.args.get("with", "").split(",")))
        extra = {"amojo_id": "5d0b6a0c-51f5-4f0e-9a46-7c1f0e3b2a61",
                 "uuid": "0b9f3e5c-6a1d-4c2e-8f7a-3d5e9c1b2a40", "version": 11}  # fmt: skip
        body = {
            **self.data.account(),
            **{key: value for key, value in extra.items() if key in with_},
            "_links": self_link(request, "account"),
        }
        return hal_object(body)

    def _one(self, request: Request, entity: str, record_id: str) -> Response:
        record = self.lists.one(request, entity, int(record_id))
        if record is None:
            return Response(status=204)
        return hal_object(record)

    # -- what tests compare against ---------------------------------------------------

    def records(self, entity: str, *, deleted: bool = False) -> list[dict[str, Any]]:
        """Every live (or deleted) record of a big entity, as the API would list it."""
        kind = self.data.kinds[entity]
        make = {"leads": self.data.lead, "contacts": self.data.contact,
                "companies": self.data.company, "tasks": self.data.task}[entity]  # fmt: skip
        ranks = kind.members(0, kind.n, deleted=deleted)
        return [make(kind.nth(r, deleted=deleted)) for r in range(*ranks)]

    def deleted_ids(self, entity: str) -> set[int]:
        kind = self.data.kinds[entity]
        ranks = kind.members(0, kind.n, deleted=True)
        return {ID_BASE[entity] + kind.nth(r, deleted=True) for r in range(*ranks)}
