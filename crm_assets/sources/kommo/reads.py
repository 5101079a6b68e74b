"""How each Kommo stream is read, page by page (docs/kommo-api.md).

Deletes: only the leads list accepts `with=only_deleted`; contacts and companies
ignore it and would answer with live records, so their deletes are read from the
`contact_deleted` / `company_deleted` events instead. Tombstones are read before
the live records of the same window, so a record that is live again wins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from crm_assets.core.http.client import MalformedResponseError
from crm_assets.core.spec.streams import Fetch, Record, Window
from crm_assets.sources.kommo import fields
from crm_assets.sources.kommo.fetch import hal_pages, window_params

# Standard keys of each entity, which a custom field's wide column must not take.
STANDARD = {
    "leads": ["id", "name", "price", "responsible_user_id", "group_id", "status_id",
              "pipeline_id", "loss_reason_id", "source_id", "created_by", "updated_by",
              "created_at", "updated_at", "closed_at", "closest_task_at", "is_deleted",
              "score", "account_id", "labor_cost", "is_price_modified_by_robot", "embedded"],
    "contacts": ["id", "name", "first_name", "last_name", "responsible_user_id", "group_id",
                 "created_by", "updated_by", "created_at", "updated_at", "closest_task_at",
                 "is_deleted", "is_unsorted", "account_id", "embedded"],
    "companies": ["id", "name", "responsible_user_id", "group_id", "created_by", "updated_by",
                  "created_at", "updated_at", "closest_task_at", "is_deleted", "account_id",
                  "embedded"],
    "catalog_elements": ["id", "catalog_id", "name", "created_by", "updated_by", "created_at",
                         "updated_at", "is_deleted", "account_id", "embedded"],
}  # fmt: skip


def definitions(client: Any, path: str) -> list[dict]:
    return [d for page in hal_pages(client, f"{path}/custom_fields", "custom_fields") for d in page]


def with_wide_columns(entity: str, path: str, pages: Fetch) -> Fetch:
    """Read the entity's field definitions, then add wide columns to every record."""

    def fetch(client: Any, window: Window) -> Iterator[list[Record]]:
        columns = fields.columns_for(definitions(client, path), STANDARD[entity])
        for page in pages(client, window):
            yield [{**record, **fields.wide(record, columns)} for record in page]

    return fetch


def leads(client: Any, window: Window) -> Iterator[list[Record]]:
    # Deleted leads first (`{id, updated_at, is_deleted: true}`), so a restored lead,
    # listed live afterwards, ends up live.
    params = window_params(window)
    yield from hal_pages(client, "leads", "leads", {**params, "with": "only_deleted"})
    yield from hal_pages(client, "leads", "leads", {**params, "with": "contacts,loss_reason"})


def deleted_by_events(event_type: str) -> Callable[[Any, Window], Iterator[list[Record]]]:
    """Tombstones from `<entity>_deleted` events: the only way Kommo tells these deletes."""

    def fetch(client: Any, window: Window) -> Iterator[list[Record]]:
        params = {**window_params(window, "created_at"), "filter[type]": event_type}
        for page in hal_pages(client, "events", "events", params):
            yield [
                {"id": e["entity_id"], "is_deleted": True, "updated_at": e.get("created_at")}
                for e in page
            ]

    return fetch


def live_and_deleted(path: str, event_type: str) -> Fetch:
    deleted = deleted_by_events(event_type)

    def fetch(client: Any, window: Window) -> Iterator[list[Record]]:
        yield from deleted(client, window)
        yield from hal_pages(client, path, path, window_params(window))

    return fetch


def listing(path: str, key: str, *, incremental: str | None = None) -> Fetch:
    def fetch(client: Any, window: Window) -> Iterator[list[Record]]:
        params = window_params(window, incremental) if incremental else {}
        return hal_pages(client, path, key, params)

    return fetch


def notes(client: Any, window: Window) -> Iterator[list[Record]]:
    for entity in ("leads", "contacts", "companies"):
        for page in hal_pages(client, f"{entity}/notes", "notes", window_params(window)):
            yield [{**note, "entity_type": entity} for note in page]


def catalog_elements(client: Any, window: Window) -> Iterator[list[Record]]:
    for catalogs in hal_pages(client, "catalogs", "catalogs"):
        for catalog in catalogs:
            path = f"catalogs/{catalog['id']}"
            columns = fields.columns_for(definitions(client, path), STANDARD["catalog_elements"])
            for page in hal_pages(client, f"{path}/elements", "elements"):
                yield [{**e, **fields.wide(e, columns), "catalog_id": catalog["id"]} for e in page]


def custom_field_definitions(client: Any, window: Window) -> Iterator[list[Record]]:
    for entity in ("leads", "contacts", "companies"):
        for page in hal_pages(client, f"{entity}/custom_fields", "custom_fields"):
            yield [{**d, "entity_type": entity} for d in page]


def account(client: Any, window: Window) -> Iterator[list[Record]]:
    """`/account`: one object, not a list (the account's name, country and currency)."""
    body = client.get_json("account")
    if not isinstance(body, dict) or "id" not in body:
        raise MalformedResponseError(f"Kommo /account: not an account object: {body!r:.80}")
    yield [body]
