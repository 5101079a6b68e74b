"""How Pipedrive is read: envelopes, pagination, and each stream's pages
(docs/pipedrive-api.md, "Pagination", "Endpoints" and "Deleted records").

v2 lists page with an opaque cursor (`additional_data.next_cursor`, null at the
end), v1 lists with `start`/`limit` (`more_items_in_collection`). Reads sort
ascending by update time and filter with `updated_since` (>=) / `updated_until`
(<); timestamps have one-second resolution, so a record on a boundary may be read
by two partitions, which the upsert makes harmless. A long list is read as time
slices side by side, each with its own cursor (`v2_by_update`, `core.sync.slices`):
a cursor names only the page after it, so one cursor is one page at a time.

Deals and what hangs off them:
- `/api/v2/deals` without `status` hides deleted deals, and since 2025-07-15 it
  hides archived deals too; they are read from `status=deleted` (every run: the
  vendor keeps them 30 days, then purges) and `/api/v2/deals/archived`.
- Deal products come from the bulk endpoint, 100 deals a call, never one call
  per deal; the flow has no bulk endpoint, so it is one paged call per deal.
- A deleted deal keeps its products and its flow until the vendor purges it, so
  both are read for deleted deals too: deletion is an update, so a partition reads
  the deals deleted in its window, and a full read every deal not yet purged.
- The flow endpoint now and then answers 200 with `data: null` for a deal that has
  history (Singer's tap retries it for this reason). Every deal's flow holds at
  least its creation, so a null there is a fault: retried, and an error if it stays.

Errors with a fixed meaning (a bad token, the company's spent daily budget, the edge's
HTML block page) become errors that say what to do (`classify_error`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import chain
from typing import Any

import requests

from crm_assets.core.http import (
    ApiClient,
    ApiError,
    AuthenticationError,
    BodyCheck,
    FatalApiError,
)
from crm_assets.core.redaction import Redactor
from crm_assets.core.spec.streams import Fetch, Record, Window
from crm_assets.core.sync.pagination import cursor_pages, offset_pages
from crm_assets.core.sync.slices import TimeList, sliced_pages
from crm_assets.sources.pipedrive import fields

Pages = Callable[[ApiClient, Window], Iterator[list[Record]]]

BATCH = 500
# v1 lists serve at most 500 items a page.
V1_PAGE = 500
LIVE = "open,won,lost"
BULK_IDS = 100
ORDERED = {"sort_by": "update_time", "sort_direction": "asc"}
NEWEST = {"sort_by": "update_time", "sort_direction": "desc"}


# -- envelopes and pagination -------------------------------------------------------


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def window_params(window: Window, *, until: bool = True) -> dict[str, str]:
    if window.is_full:
        return {}
    params = {"updated_since": rfc3339(window.start)}
    if until and window.end is not None:
        params["updated_until"] = rfc3339(window.end)
    return params


def v2_pages(client: ApiClient, path: str, params: dict[str, Any]) -> Iterator[list[dict]]:
    def page(cursor: str | None) -> tuple[list[dict], str | None]:
        return v2_page(client, path, params, cursor)

    return cursor_pages(page, what=f"Pipedrive /{path}")


def v2_page(
    client: ApiClient, path: str, params: dict[str, Any], cursor: str | None
) -> tuple[list[dict], str | None]:
    query = {**params, "limit": client.config.page_size}
    if cursor:
        query["cursor"] = cursor
    body = client.get_json(path, query) or {}
    return body.get("data") or [], (body.get("additional_data") or {}).get("next_cursor")


def v2_by_update(
    client: ApiClient, path: str, window: Window, params: dict[str, Any] | None = None
) -> Iterator[list[dict]]:
    """A v2 list of the records updated in `window`, read as time slices side by side
    (`core.sync.slices`): the list filters by `updated_since`/`updated_until`."""

    def page(asked: Window, cursor: str | None) -> tuple[list[dict], str | None]:
        return v2_page(client, path, {**ORDERED, **(params or {}), **window_params(asked)}, cursor)

    def newest(asked: Window) -> list[dict]:
        return v2_page(client, path, {**(params or {}), **window_params(asked), **NEWEST}, None)[0]

    listing = TimeList(
        page=page, updated=_update_time, newest=newest, key=_id, what=f"Pipedrive /{path}"
    )
    return sliced_pages(listing, window)


def _update_time(record: dict) -> datetime:
    return datetime.fromisoformat(record["update_time"].replace("Z", "+00:00"))


def _id(record: dict) -> Any:
    return record["id"]


def v1_pages(
    client: ApiClient,
    path: str,
    params: dict[str, Any] | None = None,
    *,
    transient: BodyCheck | None = None,
) -> Iterator[list[dict]]:
    """Offset pages of a v1 list; `transient` rejects a body to retry (see ApiClient)."""

    def page(start: int) -> tuple[list[dict], int | None]:
        query = {**(params or {}), "start": start, "limit": V1_PAGE}
        body = client.get_json(path, query, transient=transient) or {}
        pagination = (body.get("additional_data") or {}).get("pagination") or {}
        more = pagination.get("more_items_in_collection")
        return body.get("data") or [], pagination.get("next_start") if more else None

    return offset_pages(page, what=f"Pipedrive /{path}", step=V1_PAGE)


def v1_list(client: ApiClient, path: str) -> list[dict]:
    """An unpaged v1 list (users, activity types, teams)."""
    return (client.get_json(path) or {}).get("data") or []


def batched(rows: Iterable[dict], size: int = BATCH) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# -- lists and custom fields --------------------------------------------------------


def read_definitions(client: ApiClient, entity: str) -> list[dict]:
    """Every field definition of `entity` from the v1 `*Fields` endpoint (offset paged)."""
    return [item for page in v1_pages(client, f"v1/{fields.ENTITIES[entity]}") for item in page]


def with_custom_fields(entity: str, pages: Pages) -> Fetch:
    """Read the entity's field definitions first, then name its custom fields on every page."""

    def fetch(client: ApiClient, window: Window) -> Iterator[list[Record]]:
        definitions = read_definitions(client, entity)
        naming = fields.Naming(fields.resolve(entity, definitions, fields.V2_KEYS[entity]))
        for page in pages(client, window):
            yield [naming(record) for record in page]

    return fetch


def v2_list(path: str, *, until: bool = True) -> Pages:
    def pages(client: ApiClient, window: Window) -> Iterator[list[Record]]:
        if until:
            return v2_by_update(client, path, window)
        return v2_pages(client, path, {**ORDERED, **window_params(window, until=False)})

    return pages


def v2_all(path: str) -> Fetch:
    def fetch(client: ApiClient, window: Window) -> Iterator[list[Record]]:
        return v2_pages(client, path, {})

    return fetch


def notes(client: ApiClient, window: Window) -> Iterator[list[Record]]:
    # Notes filter on creation dates; one may be edited for `notes_update_window_days`
    # after it is created, so the window reaches that far back (docs/pipedrive-api.md).
    params: dict[str, Any] = {"sort": "update_time ASC"}
    if not window.is_full:
        days = client.config.options.get("notes_update_window_days", 30)
        params["start_date"] = (window.start - timedelta(days=days)).date().isoformat()
        params["end_date"] = (window.end - timedelta(microseconds=1)).date().isoformat()
    return v1_pages(client, "v1/notes", params)


def unpaged(path: str) -> Fetch:
    def fetch(client: ApiClient, window: Window) -> Iterator[list[Record]]:
        items = v1_list(client, path)
        if items:
            yield items

    return fetch


def field_definitions(entity: str) -> Fetch:
    """The entity's field definitions, one row per field: the subfield items v1 lists
    after a monetary or address field have no id and are described by that field."""

    def fetch(client: ApiClient, window: Window) -> Iterator[list[Record]]:
        for page in v1_pages(client, f"v1/{fields.ENTITIES[entity]}"):
            yield [item for item in page if not fields.is_subfield(item)]

    return fetch


def custom_field_map(client: ApiClient, window: Window) -> Iterator[list[Record]]:
    for entity in fields.ENTITIES:
        definitions = read_definitions(client, entity)
        named = fields.resolve(entity, definitions, fields.V2_KEYS[entity])
        if named:
            yield fields.mapping_rows(named)


# -- deals, deal products, deal flow ------------------------------------------------


def deal_pages(client: ApiClient, window: Window) -> Iterator[list[dict]]:
    """Deals updated in the window (all of them on a full read), then archived ones,
    then every deal deleted in the last 30 days, archived or not."""
    yield from _listed(client, window)
    yield from _deleted(client, Window(start=None, end=None))


def deal_ids(client: ApiClient, window: Window) -> Iterator[list[int]]:
    """Ids of the deals changed in the window, deleted ones included, 100 at a time."""
    ids: list[int] = []
    for page in chain(_listed(client, window), _deleted(client, window)):
        for deal in page:
            ids.append(deal["id"])
            if len(ids) == BULK_IDS:
                yield ids
                ids = []
    if ids:
        yield ids


def _listed(client: ApiClient, window: Window) -> Iterator[list[dict]]:
    yield from v2_by_update(client, "api/v2/deals", window, {"status": LIVE})
    for page in v2_by_update(client, "api/v2/deals/archived", window):
        yield [{**deal, "is_archived": True} for deal in page]


def _deleted(client: ApiClient, window: Window) -> Iterator[list[dict]]:
    # A deal archived and then deleted is in neither list without asking for it.
    for path in ("api/v2/deals", "api/v2/deals/archived"):
        yield from v2_pages(client, path, {**ORDERED, "status": "deleted", **window_params(window)})


def fetch_deal_products(client: ApiClient, window: Window) -> Iterator[list[dict]]:
    for ids in deal_ids(client, window):
        params = {"deal_ids": ",".join(str(i) for i in ids), "sort_by": "id"}
        yield from v2_pages(client, "api/v2/deals/products", params)


def fetch_deals_flow(client: ApiClient, window: Window) -> Iterator[list[dict]]:
    def events() -> Iterator[dict]:
        for ids in deal_ids(client, window):
            for deal_id in ids:
                path = f"v1/deals/{deal_id}/flow"
                pages = v1_pages(client, path, {"all_changes": 1}, transient=_null_flow)
                for page in pages:
                    for event in page:
                        yield _flow_row(deal_id, event)

    yield from batched(events())


def _null_flow(body: Any) -> str | None:
    if isinstance(body, dict) and body.get("data") is None:
        return "with `data: null` where the deal's history belongs (a Pipedrive fault)"
    return None


def _flow_row(deal_id: int, event: dict) -> dict:
    data = event.get("data") or {}
    return {
        "deal_id": deal_id,
        "object": event.get("object"),
        "id": data.get("id"),
        "timestamp": event.get("timestamp"),
        "field_key": data.get("field_key"),
        # As text, whatever the field: one column holds stage ids, names and dates alike,
        # and models can match a stage id without reading the JSON in `data`.
        "old_value": _as_text(data.get("old_value")),
        "new_value": _as_text(data.get("new_value")),
        "data": data,
    }


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else str(value)


# -- errors -------------------------------------------------------------------------


class BudgetExhaustedError(FatalApiError):
    """The company's daily API token budget is spent; it resets at midnight."""


def classify_error(response: requests.Response, redactor: Redactor) -> ApiError | None:
    """Errors with a fixed meaning: a bad token, a spent daily budget, a Cloudflare block.

    The block is an HTML page, not the JSON envelope (docs/pipedrive-api.md, "403
    escalation"): `<!DOCTYPE html>...Sorry, you have been blocked...`.
    """
    status = response.status_code
    content_type = response.headers.get("Content-Type", "")
    if status == 403 and "html" in content_type:
        return FatalApiError(
            "Pipedrive's edge (Cloudflare) blocked this client with an HTML 403 page, which "
            "it does after repeated rate-limit violations. Wait a few minutes before the next "
            "run, and lower requests_per_window if other tools share this token.",
            status=403,
        )
    message = _envelope_error(response)
    if status == 401:
        return AuthenticationError(
            f"Pipedrive rejected the API token (HTTP 401: {redactor.redact(message)!r}). Check "
            "PIPEDRIVE_API_TOKEN under Settings > Personal preferences > API.",
            status=401,
        )
    if status == 429 and "daily" in message.lower():
        reset = response.headers.get("x-ratelimit-reset", "?")
        return BudgetExhaustedError(
            f"Pipedrive's daily API budget for this company is spent ({message!r}); it resets "
            f"in {reset}s. Rows already written are kept; the next run after the reset "
            "re-reads the same window and loses nothing.",
            status=429,
        )
    return None


def _envelope_error(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("error") or body.get("error_info") or body)[:300]
    return str(body)[:300]
