"""How Kommo is read: the HAL envelope, pagination, and each stream's pages
(docs/kommo-api.md, "Pagination" and "Endpoints and filters we use").

Every list is HAL: records under `_embedded.<key>`, the next page under
`_links.next.href`. The loop follows the link and stops when it is absent or
when the API answers 204 with no body, which Kommo does for an empty result and
for the page after a full last page whose `next` link it still sent.
Incremental reads filter `filter[updated_at][from|to]` (events: `created_at`) in
unix seconds, both ends inclusive (so `to` is the window's last second), sorted
ascending. A long list filtered by `updated_at` is read as time slices side by
side, each following its own next links (`by_update`, `core.sync.slices`).

Deletes: only the leads list accepts `with=only_deleted`; contacts and companies
ignore it and would answer with live records, so their deletes are read from the
`contact_deleted` / `company_deleted` events instead. Tombstones are read before
the live records of the same window, so a record that is live again wins.

Errors come as `application/problem+json`; those with a fixed meaning (a bad token, a
refused plan, the 403 block after repeated 429s) become errors that say what to do
(`classify_error`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from crm_assets.core.http import (
    ApiClient,
    ApiError,
    AuthenticationError,
    FatalApiError,
    MalformedResponseError,
)
from crm_assets.core.redaction import Redactor
from crm_assets.core.spec.streams import Fetch, Record, Window
from crm_assets.core.sync.pagination import cursor_pages, pages_at
from crm_assets.core.sync.slices import TimeList, sliced_pages
from crm_assets.sources.kommo import fields

LIMIT = 250


# -- the HAL envelope and its pages -------------------------------------------------


def hal_pages(
    client: ApiClient, path: str, key: str, params: dict[str, Any] | None = None
) -> Iterator[list[dict]]:
    """Pages of `_embedded[key]` from `path`, following `_links.next` until it ends.

    A counted list (custom fields, users) announces its page count on its first page:
    the pages after it are asked for by number, several on their way at once
    (`pages_at`), none past the last announced. A next link on the last of them (the
    list grew meanwhile) is followed on as any list's is."""
    first = {"page": 1, "limit": LIMIT, **(params or {})}
    items, link, count = hal_read(client, path, key, first, None)
    if items:
        yield items
    if link and count > 1:
        numbered = pages_at(
            lambda n: hal_read(client, path, key, {**first, "page": n}, None), range(2, count + 1)
        )
        with closing(numbered):
            for _, page in numbered:
                items, link, _ = page  # the last page's link: set where the list grew
                if items:
                    yield items
    if link:
        yield from cursor_pages(
            lambda cursor: hal_page(client, path, key, first, cursor or link),
            what=f"Kommo /{path}",
        )


def hal_page(
    client: ApiClient, path: str, key: str, params: dict[str, Any], link: str | None
) -> tuple[list[dict], str | None]:
    """One page of `_embedded[key]` (the first of `path` with `params`, or the page at
    `link`), and the link to the next one."""
    items, href, _ = hal_read(client, path, key, {"page": 1, "limit": LIMIT, **params}, link)
    return items, href


def hal_read(
    client: ApiClient, path: str, key: str, query: dict[str, Any], link: str | None
) -> tuple[list[dict], str | None, int]:
    """One page of `_embedded[key]` (`path` with `query`, or the page at `link`), the
    link to the next one, and the page count a counted list announces (else 0)."""
    what = f"Kommo /{path}"
    body = client.get_json(path, query) if link is None else client.get_json(link)
    if body is None:  # 204: nothing (more) to read
        return [], None, 0
    if not isinstance(body, dict):
        raise MalformedResponseError(f"{what}: the answer is not a HAL object: {body!r:.80}")
    items = (body.get("_embedded") or {}).get(key) or []
    href = ((body.get("_links") or {}).get("next") or {}).get("href")
    count = body.get("_page_count")
    return (
        items,
        relative(href, client.config.base_url, what) if href else None,
        count if isinstance(count, int) else 0,
    )


def by_update(
    client: ApiClient, path: str, key: str, window: Window, params: dict[str, Any] | None = None
) -> Iterator[list[dict]]:
    """A list of the records updated in `window`, read as time slices side by side
    (`core.sync.slices`): the list filters by `filter[updated_at]`."""

    def page(asked: Window, link: str | None) -> tuple[list[dict], str | None]:
        return hal_page(client, path, key, {**(params or {}), **window_params(asked)}, link)

    def newest(asked: Window) -> list[dict]:
        query = {**(params or {}), **window_params(asked), "order[updated_at]": "desc"}
        return hal_page(client, path, key, query, None)[0]

    listing = TimeList(page=page, updated=_updated, newest=newest, key=_id, what=f"Kommo /{path}")
    return sliced_pages(listing, window)


def _updated(record: dict) -> datetime:
    return datetime.fromtimestamp(record["updated_at"], UTC)


def _id(record: dict) -> Any:
    return record["id"]


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


# -- each stream's pages ------------------------------------------------------------


def definitions(client: ApiClient, path: str) -> list[dict]:
    return [d for page in hal_pages(client, f"{path}/custom_fields", "custom_fields") for d in page]


def with_wide_columns(entity: str, path: str, pages: Fetch) -> Fetch:
    """Read the entity's field definitions, then add wide columns to every record."""

    def fetch(client: ApiClient, window: Window) -> Iterator[list[Record]]:
        columns = fields.columns_for(definitions(client, path), fields.STANDARD[entity])
        for page in pages(client, window):
            yield [{**record, **fields.wide(record, columns)} for record in page]

    return fetch


def leads(client: ApiClient, window: Window) -> Iterator[list[Record]]:
    # Deleted leads first (`{id, updated_at, is_deleted: true}`), so a restored lead,
    # listed live afterwards, ends up live.
    params = window_params(window)
    yield from hal_pages(client, "leads", "leads", {**params, "with": "only_deleted"})
    yield from by_update(client, "leads", "leads", window, {"with": "contacts,loss_reason"})


def deleted_by_events(event_type: str) -> Fetch:
    """Tombstones from `<entity>_deleted` events: the only way Kommo tells these deletes."""

    def fetch(client: ApiClient, window: Window) -> Iterator[list[Record]]:
        params = {**window_params(window, "created_at"), "filter[type]": event_type}
        for page in hal_pages(client, "events", "events", params):
            yield [
                {"id": e["entity_id"], "is_deleted": True, "updated_at": e.get("created_at")}
                for e in page
            ]

    return fetch


def live_and_deleted(path: str, event_type: str) -> Fetch:
    deleted = deleted_by_events(event_type)

    def fetch(client: ApiClient, window: Window) -> Iterator[list[Record]]:
        yield from deleted(client, window)
        yield from by_update(client, path, path, window)

    return fetch


def listing(path: str, key: str, *, incremental: str | None = None) -> Fetch:
    def fetch(client: ApiClient, window: Window) -> Iterator[list[Record]]:
        if incremental == "updated_at":
            return by_update(client, path, key, window)
        params = window_params(window, incremental) if incremental else {}
        return hal_pages(client, path, key, params)

    return fetch


def notes(client: ApiClient, window: Window) -> Iterator[list[Record]]:
    for entity in ("leads", "contacts", "companies"):
        for page in hal_pages(client, f"{entity}/notes", "notes", window_params(window)):
            yield [{**note, "entity_type": entity} for note in page]


def catalog_elements(client: ApiClient, window: Window) -> Iterator[list[Record]]:
    for catalogs in hal_pages(client, "catalogs", "catalogs"):
        for catalog in catalogs:
            path = f"catalogs/{catalog['id']}"
            standard = fields.STANDARD["catalog_elements"]
            columns = fields.columns_for(definitions(client, path), standard)
            for page in hal_pages(client, f"{path}/elements", "elements"):
                yield [{**e, **fields.wide(e, columns), "catalog_id": catalog["id"]} for e in page]


def custom_field_definitions(client: ApiClient, window: Window) -> Iterator[list[Record]]:
    for entity in ("leads", "contacts", "companies"):
        for page in hal_pages(client, f"{entity}/custom_fields", "custom_fields"):
            yield [{**d, "entity_type": entity} for d in page]


def account(client: ApiClient, window: Window) -> Iterator[list[Record]]:
    """`/account`: one object, not a list (the account's name, country and currency)."""
    body = client.get_json("account")
    if not isinstance(body, dict) or "id" not in body:
        raise MalformedResponseError(f"Kommo /account: not an account object: {body!r:.80}")
    yield [body]


# -- errors -------------------------------------------------------------------------


class BlockedError(FatalApiError):
    """Kommo blocked the client (HTTP 403) after repeated rate-limit violations."""


def classify_error(response: requests.Response, redactor: Redactor) -> ApiError | None:
    """Kommo's errors with a fixed meaning, told from their `application/problem+json` body.

    401: the token is wrong or expired. 402: the account's plan or subscription refuses.
    403: after repeated 429s Kommo blocks the
    client (https://developers.kommo.com/docs/limitations); retrying only extends the
    block, so the run stops. 400: a request Kommo rejects (`validation-errors`).
    Anything else gets the default handling (429 and 5xx are retried).
    """
    status = response.status_code
    problem = redactor.redact(problem_text(response))
    if status == 401:
        return AuthenticationError(
            f"Kommo rejected the access token (HTTP 401: {problem}). Check KOMMO_ACCESS_TOKEN: "
            "a long-lived token expires on the date chosen when it was created.",
            status=401,
        )
    if status == 402:
        return FatalApiError(
            f"Kommo answered HTTP 402 Payment Required ({problem}): the account's subscription "
            "or plan does not allow this call. Renew or upgrade it in Kommo, then re-run; "
            "rows already written are kept.",
            status=402,
        )
    if status == 403:
        return BlockedError(
            f"Kommo refused access (HTTP 403: {problem}). Kommo blocks a client that keeps "
            "exceeding 7 requests per second; wait for the block to lift before the next run, "
            "and make sure no other tool spends this account's budget. If it persists, the "
            "account may allow API calls only from whitelisted IP addresses, or the token's "
            "user may lack rights to this data. Rows already written are kept.",
            status=403,
        )
    if status in (400, 404, 405):
        return ApiError(f"Kommo answered HTTP {status}: {problem}", status=status)
    return None


def problem_text(response: requests.Response) -> str:
    """The `title`/`detail` of an RFC 7807 problem body, or the start of any other body."""
    try:
        body = response.json()
    except ValueError:
        return repr(response.text[:200])
    if not isinstance(body, dict):
        return repr(str(body)[:200])
    parts = [str(body[k]) for k in ("title", "detail") if body.get(k)]
    for error in body.get("validation-errors") or []:
        details = error.get("errors") if isinstance(error, dict) else None
        for detail in details or []:
            parts.append(f"{detail.get('path')}: {detail.get('detail')}")
    return "; ".join(parts)[:400] or repr(str(body)[:200])
