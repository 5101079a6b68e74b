"""Asset descriptions as the Dagster UI shows them.

The UI renders a description as Markdown on the asset's page, shows its first line
as plain text on graph nodes and in the catalog, and its raw text in some tables.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from crm_assets.core.runtime.assets import build_source_assets, human_duration
from crm_assets.core.runtime.connection import Connection
from crm_assets.definitions import SOURCES


@pytest.mark.parametrize(
    ("span", "said"),
    [
        (timedelta(hours=24), "24 hours"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(days=2), "2 days"),
        (timedelta(days=7), "7 days"),
        (timedelta(hours=36), "36 hours"),
        (timedelta(minutes=90), "90 minutes"),
        (timedelta(seconds=45), "45 seconds"),
        (timedelta(seconds=1), "1 second"),
    ],
)
def test_durations_read_as_people_say_them(span, said):
    assert human_duration(span) == said


def descriptions() -> dict[str, str]:
    found = {}
    for source in SOURCES:
        for key, spec in build_source_assets(Connection.of(source)).specs_by_key.items():
            found[key.to_user_string()] = spec.description
    return found


def test_descriptions_read_well_in_the_catalog_and_on_the_asset_page():
    found = descriptions()
    assert found
    for key, text in found.items():
        first, _, rest = text.partition("\n\n")
        assert first and "\n" not in first, key  # the catalog's one line
        assert "`" not in text and "**" not in text, key  # markup that shows raw
        assert not re.search(r"\d+ days?, \d+:\d\d:\d\d|\d:\d\d:\d\d", text), key
        assert "\n- Table: " in text and "\n- Default sync mode: " in text, key
    deals = found["pipedrive/deals"]
    assert "pipedrive_deals (the prefix is configurable), keyed by id" in deals
    assert "plus a lookback of 24 hours." in deals
    flow = found["pipedrive/deals_flow"]
    assert "- Requests: one per changed record" in flow
    assert flow.startswith(
        "Change history of the deals changed in the window, deleted deals included "
        "(/v1/deals/{id}/flow)"
    )
    persons = found["pipedrive/persons"]
    assert "child tables pipedrive_persons__emails, pipedrive_persons__phones" in persons
