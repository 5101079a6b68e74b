"""Deals and what hangs off them: deal products and the deal flow.

Quirks (docs/pipedrive-api.md, "Deleted records"):
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
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import chain
from typing import Any

from crm_assets.core.spec.streams import Window
from crm_assets.sources.pipedrive.fetch import batched, v1_pages, v2_pages, window_params

LIVE = "open,won,lost"
BULK_IDS = 100
ORDERED = {"sort_by": "update_time", "sort_direction": "asc"}


def deal_pages(client: Any, window: Window) -> Iterator[list[dict]]:
    """Deals updated in the window (all of them on a full read), then archived ones,
    then every deal deleted in the last 30 days, archived or not."""
    yield from _listed(client, window)
    yield from _deleted(client, Window(start=None, end=None))


def deal_ids(client: Any, window: Window) -> Iterator[list[int]]:
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


def _listed(client: Any, window: Window) -> Iterator[list[dict]]:
    yield from v2_pages(
        client, "api/v2/deals", {**ORDERED, "status": LIVE, **window_params(window)}
    )
    for page in v2_pages(client, "api/v2/deals/archived", {**ORDERED, **window_params(window)}):
        yield [{**deal, "is_archived": True} for deal in page]


def _deleted(client: Any, window: Window) -> Iterator[list[dict]]:
    # A deal archived and then deleted is in neither list without asking for it.
    for path in ("api/v2/deals", "api/v2/deals/archived"):
        yield from v2_pages(client, path, {**ORDERED, "status": "deleted", **window_params(window)})


def fetch_deal_products(client: Any, window: Window) -> Iterator[list[dict]]:
    for ids in deal_ids(client, window):
        params = {"deal_ids": ",".join(str(i) for i in ids), "sort_by": "id"}
        yield from v2_pages(client, "api/v2/deals/products", params)


def fetch_deals_flow(client: Any, window: Window) -> Iterator[list[dict]]:
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
