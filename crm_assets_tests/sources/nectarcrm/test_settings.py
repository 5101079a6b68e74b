"""NectarCRM settings as a user writes them: base URLs, the page size asked for, and
how many pages are fetched ahead."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import crm_assets
from crm_assets.core.runtime.assets import FULL_SYNC_TAG
from crm_assets.core.sync.workers import Concurrency
from crm_assets_tests.harness import Harness
from crm_assets_tests.sources.nectarcrm.conftest import SMALL, _harness

FULL = {FULL_SYNC_TAG: "true"}


@pytest.mark.parametrize("path", ["/crm/api/1", "/crm/api/1/", "/crm/api/1//"])
def test_the_base_url_works_with_or_without_its_trailing_slash(nectar, sqlite_warehouse, path):
    result = nectar.run(sqlite_warehouse, streams=["tags"], base_url=nectar.url + path)
    assert result.success
    assert {r.path for r in nectar.emulator.requests} == {"/crm/api/1/lista"}
    assert sqlite_warehouse.row_count("nectarcrm_tags") == len(nectar.emulator.records("lista"))


@pytest.fixture
def bigger() -> Iterator[Harness]:
    """More feedbacks and tasks than one page of either holds."""
    yield from _harness(sizes={**SMALL, "publicacao": 230, "tarefas": 250})


def test_each_endpoint_is_asked_for_its_documented_page_size(bigger, sqlite_warehouse):
    nectar = bigger
    result = nectar.run(sqlite_warehouse, streams=["feedbacks", "tasks"], tags=FULL)
    assert result.success
    asked: dict[str, set[str]] = {}
    for request in nectar.emulator.requests:
        asked.setdefault(request.path, set()).update(request.args["displayLength"])
    assert asked == {"/crm/api/1/publicacao": {"100"}, "/crm/api/1/tarefas": {"200"}}
    for stream, resource in (("feedbacks", "publicacao"), ("tasks", "tarefas")):
        expected = len(nectar.emulator.records(resource))
        assert sqlite_warehouse.row_count(f"nectarcrm_{stream}") == expected > 100


def test_a_smaller_page_size_setting_is_asked_for_everywhere(bigger, sqlite_warehouse):
    nectar = bigger
    result = nectar.run(sqlite_warehouse, streams=["feedbacks"], tags=FULL, page_size=40)
    assert result.success
    assert {a for r in nectar.emulator.requests for a in r.args["displayLength"]} == {"40"}
    # Ends on the empty page, not on a short one: 130 records are 4 pages, then [].
    pages = sorted(int(r.args["page"][0]) for r in nectar.emulator.requests)
    expected = len(nectar.emulator.records("publicacao"))
    assert pages == list(range(1, expected // 40 + 3))
    assert sqlite_warehouse.row_count("nectarcrm_feedbacks") == expected


@pytest.mark.parametrize(
    ("settings", "prefetch"),
    [
        ({}, 1),
        ({"prefetch_pages": 0}, 0),
        ({"prefetch_pages": 3}, 3),
        # The deprecated names, once set, decide, as they asked: pages read ahead, and
        # pages requested beside the one awaited.
        ({"read_ahead_pages": 0}, 0),
        ({"read_ahead_pages": 2, "prefetch_pages": 5}, 2),
        ({"pages_requested_ahead": 2}, 3),
        ({"read_ahead_pages": 5, "pages_requested_ahead": 2}, 5),
        ({"read_ahead_pages": 0, "pages_requested_ahead": 1}, 2),
    ],
)
def test_prefetch_pages_and_the_settings_it_replaces(nectar, settings, prefetch):
    resource = nectar.resource(max_concurrent_streams=3, **settings)
    assert resource.concurrency() == Concurrency(streams=3, prefetch=prefetch)
    note = resource.deprecation_note()
    replaced = [name for name in ("read_ahead_pages", "pages_requested_ahead") if name in settings]
    assert (note is None) == (not replaced)
    if note:
        assert all(name in note for name in replaced)
        assert f"set prefetch_pages to {prefetch} and remove" in note


def test_a_connection_file_that_sets_a_deprecated_setting_still_has_it_count():
    component = crm_assets.NectarCrmConnection(name="nectarcrm_old", pages_requested_ahead=2)
    resource = component.connection().resource
    assert resource.concurrency().prefetch == 3
    assert "set prefetch_pages to 3 and remove pages_requested_ahead" in resource.deprecation_note()
