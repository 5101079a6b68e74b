"""Pipedrive settings as a user writes them: the base URL."""

from __future__ import annotations

import pytest

from crm_assets.sources.pipedrive.resource import PipedriveResource


@pytest.mark.parametrize("suffix", ["", "/"])
def test_the_base_url_works_with_or_without_its_trailing_slash(pipedrive, sqlite_warehouse, suffix):
    result = pipedrive.run(sqlite_warehouse, streams=["users"], base_url=pipedrive.url + suffix)
    assert result.success
    assert {r.path for r in pipedrive.emulator.requests} == {"/v1/users"}
    assert sqlite_warehouse.row_count("pipedrive_users") == len(pipedrive.emulator.records("users"))


def test_the_launchpad_says_requests_per_second_is_not_pipedrives_budget():
    fields = PipedriveResource.to_config_schema().as_field().config_type.fields
    assert "requests_per_window" in fields["requests_per_second"].description
    # The budget that is used stays the 2-second window's.
    limit = PipedriveResource(api_token="t", base_url="http://x/").rate_limit()
    assert (limit.requests, limit.per_seconds) == (20, 2.0)
