"""How Pipedrive pages are read (docs/pipedrive-api.md, "Pagination" and "Endpoints").

v2 lists page with an opaque cursor (`additional_data.next_cursor`, null at the
end), v1 lists with `start`/`limit` (`more_items_in_collection`). Incremental
reads sort ascending by update time so a run that stops part-way has written a
prefix of the window, and filter with `updated_since` (>=) / `updated_until` (<);
timestamps have one-second resolution, so a record on a boundary may be read by
two partitions, which the upsert makes harmless.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from crm_assets.core.http.client import BodyCheck
from crm_assets.core.spec.streams import Window
from crm_assets.core.sync.pagination import cursor_pages, offset_pages

BATCH = 500
# v1 lists serve at most 500 items a page.
V1_PAGE = 500


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def window_params(window: Window, *, until: bool = True) -> dict[str, str]:
    if window.is_full:
        return {}
    params = {"updated_since": rfc3339(window.start)}
    if until and window.end is not None:
        params["updated_until"] = rfc3339(window.end)
    return params


def v2_pages(client: Any, path: str, params: dict[str, Any]) -> Iterator[list[dict]]:
    def page(cursor: str | None) -> tuple[list[dict], str | None]:
        query = {**params, "limit": client.config.page_size}
        if cursor:
            query["cursor"] = cursor
        body = client.get_json(path, query) or {}
        return body.get("data") or [], (body.get("additional_data") or {}).get("next_cursor")

    return cursor_pages(page, what=f"Pipedrive /{path}")


def v1_pages(
    client: Any,
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

    return offset_pages(
        page, what=f"Pipedrive /{path}", step=V1_PAGE, ahead=client.config.pages_ahead
    )


def v1_list(client: Any, path: str) -> list[dict]:
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
