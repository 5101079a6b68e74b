"""NectarCRM settings as a user writes them: base URLs and the page size asked for."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crm_assets.core.runtime.assets import FULL_SYNC_TAG
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
