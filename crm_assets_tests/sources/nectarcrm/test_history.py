"""History switched on through the resource, end to end against the emulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crm_assets.core import schema
from crm_assets.core.runtime.assets import FULL_SYNC_TAG
from crm_assets_tests.sources.nectarcrm.conftest import ANCHOR

FULL = {FULL_SYNC_TAG: "true"}


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_a_changed_record_leaves_its_previous_version_in_history(nectar, warehouse):
    nectar.run(warehouse, streams=["contacts"], tags=FULL, history_days=30)
    assert warehouse.row_count("nectarcrm_contacts__history", include_deleted=True) == 0
    assert warehouse.has_table("nectarcrm_contacts__emails__history")

    target = nectar.emulator.records("contatos")[0]
    moment = datetime.combine(ANCHOR, datetime.min.time(), tzinfo=UTC) + timedelta(hours=15)
    nectar.emulator.touch("contatos", target["id"], moment)
    for _ in range(2):  # the second run changes nothing, so keeps nothing
        nectar.run(warehouse, streams=["contacts"], history_days=30)
        [kept] = warehouse.rows("nectarcrm_contacts__history")
        live = next(r for r in warehouse.rows("nectarcrm_contacts") if r["id"] == target["id"])
        assert schema.comparable(live["dataAtualizacao"]) == moment
        assert kept["id"] == target["id"] and schema.comparable(kept["dataAtualizacao"]) != moment
        assert kept["_valid_to"] > kept["_valid_from"]


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_history_is_off_unless_asked(nectar, warehouse):
    nectar.run(warehouse, streams=["contacts"], tags=FULL)
    assert not [t for t in warehouse.table_names() if t.endswith("__history")]


def test_switching_history_off_empties_the_history_on_the_next_run(nectar, warehouse):
    nectar.run(warehouse, streams=["contacts"], tags=FULL, history_days=30)
    moment = datetime.combine(ANCHOR, datetime.min.time(), tzinfo=UTC) + timedelta(hours=15)
    for contact in nectar.emulator.records("contatos")[:3]:
        nectar.emulator.touch("contatos", contact["id"], moment)
    nectar.run(warehouse, streams=["contacts"], history_days=30)
    assert warehouse.row_count("nectarcrm_contacts__history", include_deleted=True) == 3

    result = nectar.run(warehouse, streams=["contacts"], tags=FULL)
    history = [t for t in warehouse.table_names() if t.endswith("__history")]
    assert "nectarcrm_contacts__history" in history
    assert all(warehouse.row_count(t, include_deleted=True) == 0 for t in history)
    logs = "\n".join(str(r) for r in nectar.instance.all_logs(result.run_id))
    assert (
        "history is off (history_days=0), so the 3 earlier versions kept in "
        "nectarcrm_contacts__history were deleted" in logs
    )
    assert warehouse.row_count("nectarcrm_contacts") > 0
