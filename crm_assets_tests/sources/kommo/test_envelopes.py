"""Every list the Kommo emulator serves, in the envelope the vendor documents for it.

Kommo has three (docs/kommo-api.md, "List envelopes"): record lists page with
`{_page, _links, _embedded}`; custom-field lists and users are counted,
`{_total_items, _page, _page_count, _links, _embedded}`, `_total_items` being the
items on the page; pipelines and a pipeline's statuses come whole,
`{_total_items, _links: {self}, _embedded}`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import requests

from crm_assets.core.emulation import serve
from crm_assets.sources.kommo.emulator import KommoEmulator

TOKEN = "kommo-envelopes-5b2d"
SIZES = {"leads": 40, "contacts": 30, "companies": 20, "tasks": 30, "notes": 30}
RECORDS = {
    "leads": "leads", "contacts": "contacts", "companies": "companies", "tasks": "tasks",
    "leads/notes": "notes", "contacts/notes": "notes", "companies/notes": "notes",
    "events": "events", "catalogs": "catalogs", "catalogs/5001/elements": "elements",
}  # fmt: skip
COUNTED = {
    "leads/custom_fields": "custom_fields", "contacts/custom_fields": "custom_fields",
    "companies/custom_fields": "custom_fields", "catalogs/5001/custom_fields": "custom_fields",
    "users": "users",
}  # fmt: skip


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    emulator = KommoEmulator(token=TOKEN, anchor=date(2026, 11, 20), sizes=SIZES, per_second=10_000)
    with serve(emulator) as base:
        yield base


def get(url: str, path: str, **params) -> requests.Response:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    return requests.get(f"{url}/api/v4/{path}", params=params, headers=headers, timeout=10)


@pytest.mark.parametrize(("path", "key"), RECORDS.items())
def test_record_lists_page_with_page_links_and_embedded(url, path, key):
    body = get(url, path, limit=5).json()
    assert set(body) == {"_page", "_links", "_embedded"}
    assert body["_page"] == 1 and list(body["_embedded"]) == [key]
    items = body["_embedded"][key]
    assert items and len(items) <= 5
    assert ("next" in body["_links"]) == (len(items) == 5)
    assert get(url, path, page=10_000, limit=5).status_code == 204


@pytest.mark.parametrize(("path", "key"), COUNTED.items())
def test_custom_fields_and_users_are_counted_page_by_page(url, path, key):
    everything = get(url, path, limit=250).json()["_embedded"][key]
    pages = -(-len(everything) // 2)
    assert pages >= 2, path
    seen = []
    for page in range(1, pages + 1):
        body = get(url, path, page=page, limit=2).json()
        assert set(body) == {"_total_items", "_page", "_page_count", "_links", "_embedded"}
        items = body["_embedded"][key]
        assert (body["_page"], body["_page_count"], body["_total_items"]) == (
            page, pages, len(items))  # fmt: skip
        assert ("next" in body["_links"]) == (page < pages)
        assert f"page={page}" in body["_links"]["self"]["href"]
        seen += items
    assert [i["id"] for i in seen] == [i["id"] for i in everything]
    assert get(url, path, page=pages + 1, limit=2).status_code == 204


@pytest.mark.parametrize(
    ("path", "key"),
    [("leads/pipelines", "pipelines"), ("leads/pipelines/{id}/statuses", "statuses")],
)
def test_pipelines_and_statuses_come_whole(url, path, key):
    pipeline = get(url, "leads/pipelines").json()["_embedded"]["pipelines"][0]
    body = get(url, path.format(id=pipeline["id"])).json()
    assert set(body) == {"_total_items", "_links", "_embedded"}
    assert list(body["_links"]) == ["self"]
    items = body["_embedded"][key]
    assert items and body["_total_items"] == len(items)
    if key == "statuses":
        assert items == pipeline["_embedded"]["statuses"]
