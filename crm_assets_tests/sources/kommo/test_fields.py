"""Kommo custom fields: typed values and stable wide-column names (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime

from crm_assets.sources.kommo.fields import columns_for, typed, value_rows, wide


def definition(field_id: int, name: str, kind: str = "text") -> dict:
    return {"id": field_id, "name": name, "type": kind}


def test_values_are_typed_and_nothing_unreadable_is_lost():
    assert typed("numeric", {"value": "1.5"})["value_number"] == 1.5
    assert typed("numeric", {"value": "1.5"})["value_text"] == "1.5"
    odd = typed("numeric", {"value": "n/a"})
    assert odd["value_number"] is None and odd["value_text"] == "n/a"
    assert typed("date", {"value": 1577836800})["value_timestamp"] == datetime(
        2020, 1, 1, tzinfo=UTC
    )
    assert typed("date_time", {"value": "2020-01-01T03:00:00+03:00"})[
        "value_timestamp"
    ] == datetime(2020, 1, 1, tzinfo=UTC)
    assert typed("birthday", {"value": "someday"})["value_text"] == "someday"
    assert typed("checkbox", {"value": True})["value_boolean"] is True
    chained = typed("chained_list", {"catalog_id": 1001, "catalog_element_id": 12235})
    assert chained["value_json"] == {"catalog_id": 1001, "catalog_element_id": 12235}
    select = typed("select", {"value": "a", "enum_id": 17, "enum_code": "A"})
    assert (select["value_text"], select["enum_id"], select["enum_code"]) == ("a", 17, "A")


def test_null_custom_fields_are_no_values():
    assert value_rows("leads", {"id": 1, "custom_fields_values": None}) == []
    assert value_rows("leads", {"id": 1}) == []


def test_column_names_are_stable_as_fields_are_added():
    before = columns_for([definition(20, "Origem"), definition(10, "Name")], ["id", "name"])
    assert before == {10: "name_custom", 20: "origem"}
    # A newer field with a taken name gets its id; the older keeps the name.
    after = columns_for(
        [definition(20, "Origem"), definition(10, "Name"), definition(30, "Origem")],
        ["id", "name"],
    )
    assert after == {10: "name_custom", 20: "origem", 30: "origem_30"}
    assert columns_for([definition(5, "Telefone", "multitext")], []) == {}


def test_wide_columns_take_the_first_value_typed():
    record = {
        "id": 1,
        "custom_fields_values": [
            {"field_id": 20, "field_type": "numeric", "values": [{"value": "10000"}]},
            {"field_id": 21, "field_type": "select", "values": [{"value": "Site", "enum_id": 3}]},
        ],
    }
    assert wide(record, {20: "valor", 21: "origem"}) == {
        "valor": 10000.0,
        "origem": "Site",
        "origem_enum_id": 3,
    }
