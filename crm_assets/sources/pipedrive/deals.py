"""Deals and what hangs off them: deal products and the deal flow.

Quirks (docs/pipedrive-api.md, "Deleted records"):
- `/api/v2/deals` without `status` hides deleted deals, and since 2025-07-15 it
  hides archived deals too; they are read from `status=deleted` (every run: the
  vendor keeps them 30 days, then purges) and `/api/v2/deals/archived`.
- Deal products come from the bulk endpoint, 100 deals a call, never one call
  per deal; the flow has no bulk endpoint, so it is one paged call per deal.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from crm_assets.core.streams import Window
from crm_assets.sources.pipedrive.fetch import batched, v1_pages, v2_pages, window_params

LIVE = "open,won,lost"
BULK_IDS = 100


def deal_pages(client: Any, window: Window, *, deleted: bool = True) -> Iterator[list[dict]]:
    """Deals updated in the window (all of them on a full read), then archived ones,
    then every deal deleted in the last 30 days, archived or not."""
    ordered = {"sort_by": "update_time", "sort_direction": "asc"}
    yield from v2_pages(
        client, "api/v2/deals", {**ordered, "status": LIVE, **window_params(window)}
    )
    for page in v2_pages(client, "api/v2/deals/archived", {**ordered, **window_params(window)}):
        yield [{**deal, "is_archived": True} for deal in page]
    if deleted:
        # A deal archived and then deleted is in neither list without asking for it.
        for path in ("api/v2/deals", "api/v2/deals/archived"):
            yield from v2_pages(client, path, {**ordered, "status": "deleted"})


def deal_ids(client: Any, window: Window) -> Iterator[list[int]]:
    """Ids of the deals changed in the window, 100 at a time."""
    ids: list[int] = []
    for page in deal_pages(client, window, deleted=False):
        for deal in page:
            ids.append(deal["id"])
            if len(ids) == BULK_IDS:
                yield ids
                ids = []
    if ids:
        yield ids


def fetch_deal_products(client: Any, window: Window) -> Iterator[list[dict]]:
    for ids in deal_ids(client, window):
        params = {"deal_ids": ",".join(str(i) for i in ids), "sort_by": "id"}
        yield from v2_pages(client, "api/v2/deals/products", params)


def fetch_deals_flow(client: Any, window: Window) -> Iterator[list[dict]]:
    def events() -> Iterator[dict]:
        for ids in deal_ids(client, window):
            for deal_id in ids:
                path = f"v1/deals/{deal_id}/flow"
                for page in v1_pages(client, path, {"all_changes": 1}):
                    for event in page:
                        yield _flow_row(deal_id, event)

    yield from batched(events())


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
