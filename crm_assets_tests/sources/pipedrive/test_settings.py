"""Pipedrive settings as a user writes them: the base URL."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("suffix", ["", "/"])
def test_the_base_url_works_with_or_without_its_trailing_slash(pipedrive, sqlite_warehouse, suffix):
    result = pipedrive.run(sqlite_warehouse, streams=["users"], base_url=pipedrive.url + suffix)
    assert result.success
    assert {r.path for r in pipedrive.emulator.requests} == {"/v1/users"}
    assert sqlite_warehouse.row_count("pipedrive_users") == len(pipedrive.emulator.records("users"))
