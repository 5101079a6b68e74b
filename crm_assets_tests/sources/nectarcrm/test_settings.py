"""NectarCRM settings as a user writes them: base URLs and the page size asked for."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/crm/api/1", "/crm/api/1/", "/crm/api/1//"])
def test_the_base_url_works_with_or_without_its_trailing_slash(nectar, sqlite_warehouse, path):
    result = nectar.run(sqlite_warehouse, streams=["tags"], base_url=nectar.url + path)
    assert result.success
    assert {r.path for r in nectar.emulator.requests} == {"/crm/api/1/lista"}
    assert sqlite_warehouse.row_count("nectarcrm_tags") == len(nectar.emulator.records("lista"))
