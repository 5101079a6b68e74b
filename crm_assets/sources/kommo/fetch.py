"""How Kommo lists are read (docs/kommo-api.md, "Pagination" and "Endpoints and filters we use").

Every list is HAL: records under `_embedded.<key>`, the next page under
`_links.next.href`. The loop follows the link and stops when it is absent or
when the API answers 204 with no body, which Kommo does for an empty result and
for the page after a full last page whose `next` link it still sent.
Incremental reads filter `filter[updated_at][from|to]` (events: `created_at`) in
unix seconds, both ends inclusive (so `to` is the window's last second), sorted
ascending so a run stopped part-way has written a prefix of the window.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from crm_assets.core.http.client import MalformedResponseError
from crm_assets.core.spec.streams import Window
from crm_assets.core.sync.pagination import cursor_pages

LIMIT = 250


def hal_pages(
    client: Any, path: str, key: str, params: dict[str, Any] | None = None
) -> Iterator[list[dict]]:
    """Pages of `_embedded[key]` from `path`, following `_links.next` until it ends."""
    what = f"Kommo /{path}"

    def page(link: str | None) -> tuple[list[dict], str | None]:
        if link is None:
            body = client.get_json(path, {"page": 1, "limit": LIMIT, **(params or {})})
        else:
            body = client.get_json(link)
        if body is None:  # 204: nothing (more) to read
            return [], None
        if not isinstance(body, dict):
            raise MalformedResponseError(f"{what}: the answer is not a HAL object: {body!r:.80}")
        items = (body.get("_embedded") or {}).get(key) or []
        href = ((body.get("_links") or {}).get("next") or {}).get("href")
        return items, relative(href, client.config.base_url, what) if href else None

    return cursor_pages(page, what=what)


def relative(href: str, base_url: str, what: str) -> str:
    """The next link as a path under our base URL, so it is read from the host we chose."""
    link, base = urlsplit(href), urlsplit(base_url)
    if not link.path.startswith(base.path):
        raise MalformedResponseError(f"{what}: next link {link.path!r} is outside {base.path!r}")
    tail = link.path[len(base.path) :]
    return f"{tail}?{link.query}" if link.query else tail


def window_params(window: Window, field: str = "updated_at") -> dict[str, Any]:
    if window.is_full:
        return {f"order[{field}]": "asc"} if field == "updated_at" else {}
    params: dict[str, Any] = {f"filter[{field}][from]": int(window.start.timestamp())}
    if window.end is not None:
        # `to` is inclusive; the window's end is not.
        params[f"filter[{field}][to]"] = int(window.end.timestamp()) - 1
    if field == "updated_at":
        params["order[updated_at]"] = "asc"
    return params
