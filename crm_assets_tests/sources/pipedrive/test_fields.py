"""Custom-field naming and values: the rules users rely on to find their columns."""

from __future__ import annotations

from crm_assets.sources.pipedrive.fields import Naming, resolve, snake

H = {n: f"{n:040x}" for n in range(1, 8)}


def definition(n: int, name: str, field_type: str = "varchar", options=()) -> dict:
    return {"id": 100 + n, "key": H[n], "name": name, "field_type": field_type,
            "options": [{"id": i, "label": label} for i, label in options]}  # fmt: skip


STANDARD = [{"id": 1, "key": "value", "name": "Value"}, {"id": 2, "key": "title", "name": "Title"}]


def test_snake_case_names():
    assert snake("Lead source") == "lead_source"
    assert snake("Próxima ação (data)") == "proxima_acao_data"
    assert snake("dealSize") == "deal_size"
    assert snake("!!!") == "field"


def test_collisions_resolve_deterministically_and_stay_stable_when_fields_are_added():
    fields = [definition(1, "Lead source", "enum"), definition(2, "Lead Source"),
              definition(3, "Value", "double")]  # fmt: skip
    first = {k: f.column for k, f in resolve("deals", STANDARD + fields).items()}
    assert first == {H[1]: "lead_source", H[2]: f"lead_source_{H[2][:6]}", H[3]: "value_custom"}
    # A newer field with the same name never takes an older field's column.
    later = resolve("deals", STANDARD + list(reversed(fields)) + [definition(4, "lead source")])
    assert {k: later[k].column for k in first} == first
    assert later[H[4]].column == f"lead_source_{H[4][:6]}"


def test_reserved_v2_keys_are_not_taken():
    named = resolve("deals", [definition(1, "Owner id")], reserved=["owner_id"])
    assert named[H[1]].column == "owner_id_custom"


def test_values_become_readable_columns_in_v2_and_v1_shapes():
    fields = resolve("deals", [
        definition(1, "Source", "enum", [(7, "Web"), (8, "Ads")]),
        definition(2, "Interests", "set", [(1, "CRM"), (2, "ERP"), (12, "BI")]),
        definition(3, "Budget", "monetary"),
        definition(4, "Note"),
    ])  # fmt: skip
    v2 = {"id": 1, "custom_fields": {H[1]: 8, H[2]: [1, 12], H[3]: {"value": 10, "currency": "EUR"},
                                     H[4]: "hi"}}  # fmt: skip
    assert Naming(fields)(v2) == {
        "id": 1, "source": 8, "source_label": "Ads", "interests": [1, 12],
        "interests_labels": ["CRM", "BI"], "budget": 10.0, "budget_currency": "EUR", "note": "hi",
    }  # fmt: skip
    # v1 puts hashes at the top level, sets as "1,12" and money in a `_currency` twin.
    v1 = {"id": 1, H[1]: "7", H[2]: "1,12", H[3]: 10, H[3] + "_currency": "USD"}
    row = Naming(fields)(v1)
    assert row["source"] == 7 and row["source_label"] == "Web"
    assert row["interests"] == [1, 12] and row["interests_labels"] == ["CRM", "BI"]
    assert row["budget"] == 10.0 and row["budget_currency"] == "USD"
    assert not any(k.startswith(H[3]) for k in row)


def test_a_field_created_after_the_definitions_were_read_keeps_its_hash():
    row = Naming({})({"id": 1, "custom_fields": {H[5]: "x"}})
    assert row == {"id": 1, H[5]: "x"}
