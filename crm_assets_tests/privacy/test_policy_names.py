"""A policy entry naming a table or column that is not there fails the run before any
request, naming the entry and the nearest real name; columns the source discovers at
run time (custom fields) are still accepted and protected."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from crm_assets.core.runtime.assets import build_source_assets
from crm_assets.core.runtime.connection import Connection
from crm_assets_tests.harness import failure_text
from crm_assets_tests.privacy.sources import SOURCES


def _refused(name: str, warehouse, policy: dict, elsewhere=()) -> str:
    """The failure of a run under `policy`, which must have sent no request."""
    source = SOURCES[name]
    with source.running() as running:
        running._assets = build_source_assets(Connection.of(source.spec), elsewhere)
        result = source.run(running, warehouse, privacy=policy, raise_on_error=False)
        assert running.emulator.bodies == [], "the run reached the vendor"
    assert not result.success
    return failure_text(result)


@pytest.mark.parametrize(
    ("policy", "said"),
    [
        ({"drop": ["pipedrive_person.name"]}, "'pipedrive_person.name' (under drop) names no "
         "table of this code location; the nearest is 'pipedrive_persons'"),
        ({"scan": ["pipedrive_notes.contnet"]}, "'pipedrive_notes.contnet' (under scan) names "
         "no column of pipedrive_notes; the nearest is 'pipedrive_notes.content'"),
        ({"hash": ["pipedrive_persons__emails.valeu"]}, "'pipedrive_persons__emails.valeu' "
         "(under hash) names no column of pipedrive_persons__emails; the nearest is "
         "'pipedrive_persons__emails.value'"),
        # A history table is protected with its table; naming it protects nothing.
        ({"mask": ["pipedrive_persons__history.name"]}, "'pipedrive_persons__history.name' "
         "(under mask) names no table of this code location; the nearest is "
         "'pipedrive_persons'"),
        # A swap in a short name.
        ({"drop": ["pipedrive_products.txa"]}, "'pipedrive_products.txa' (under drop) names "
         "no column of pipedrive_products; the nearest is 'pipedrive_products.tax'"),
        # A stream's name is not its table's.
        ({"mask": ["persons.name"]}, "'persons.name' (under mask) names no table of this "
         "code location; the nearest is 'pipedrive_persons'"),
        # A table of a source the code location does not have.
        ({"hash": ["salesforce_leads.email"]}, "'salesforce_leads.email' (under hash) names "
         "no table of this code location; Pipedrive's tables are named pipedrive_<stream>."),
    ],
)  # fmt: skip
def test_an_entry_naming_nothing_fails_before_any_request(policy, said, sqlite_warehouse):
    text = _refused("pipedrive", sqlite_warehouse, policy)
    assert said in text
    assert "Correct the entry in CRM_PII_POLICY or in the source's privacy setting" in text
    assert sa.inspect(sqlite_warehouse.engine).get_table_names() == []


def test_the_tables_of_the_other_sources_are_left_to_them(sqlite_warehouse):
    """CRM_PII_POLICY is every source's: an entry for another source's table is not
    this source's to refuse, and a misspelt one of those is refused by every source."""
    source = SOURCES["pipedrive"]
    policy = {"hash": ["email"], "drop": ["nectarcrm_contacts.cpf"]}
    with source.running() as running:
        running._assets = build_source_assets(Connection.of(source.spec), {"nectarcrm_contacts"})
        result = source.run(running, sqlite_warehouse, streams=["persons"], privacy=policy)
    assert result.success
    text = _refused("pipedrive", sqlite_warehouse, {"drop": ["nectarcrm_contact.cpf"]},
                    elsewhere={"nectarcrm_contacts"})  # fmt: skip
    assert "'nectarcrm_contact.cpf' (under drop) names no table" in text
    assert "the nearest is 'nectarcrm_contacts'" in text


def test_a_custom_field_column_is_protected_before_and_after_it_is_stored(warehouse):
    """Kommo's custom fields become columns only when records carry them: an entry for
    one is accepted on an empty warehouse and protects it on the first sync; once the
    column is stored, a misspelling of it is refused before any request."""
    source = SOURCES["kommo"]
    with source.running() as running:
        result = source.run(running, warehouse, streams=["contacts"],
                            privacy={"mask": ["kommo_contacts.cargo"]})  # fmt: skip
        served = {
            value["value"]
            for body in running.emulator.bodies
            for record in (body.get("_embedded") or {}).get("contacts", [])
            for field in record.get("custom_fields_values") or []
            if field["field_name"] == "Cargo"
            for value in field["values"]
        }
    assert result.success
    with warehouse.engine.connect() as connection:
        stored = {r[0] for r in connection.execute(sa.text('SELECT cargo FROM "kommo_contacts"'))}
    assert served and stored and not stored & served
    assert stored <= {"***", None}

    text = _refused("kommo", warehouse, {"mask": ["kommo_contacts.carg"]})
    assert "'kommo_contacts.carg' (under mask) names no column of kommo_contacts" in text
    assert "the nearest is 'kommo_contacts.cargo'" in text


def test_a_column_named_too_is_no_misspelling_to_refuse(sqlite_warehouse):
    """A new custom field may be named like a stored column (`idade` near `cidade`):
    naming that one too, under keep, says both are meant."""
    near = {"drop": ["pipedrive_persons.nam"]}
    assert "the nearest is 'pipedrive_persons.name'" in _refused("pipedrive", sqlite_warehouse,
                                                                 near)  # fmt: skip
    source = SOURCES["pipedrive"]
    with source.running() as running:
        result = source.run(running, sqlite_warehouse, streams=["persons"],
                            privacy={**near, "keep": ["pipedrive_persons.name"]})  # fmt: skip
    assert result.success


def test_an_odoo_field_discovered_at_run_time_can_be_named(sqlite_warehouse):
    source = SOURCES["odoo"]
    with source.running() as running:
        result = source.run(running, sqlite_warehouse, streams=["res_partner"],
                            privacy={"drop": ["odoo_res_partner.city"]})  # fmt: skip
    assert result.success
    columns = {c["name"] for c in sa.inspect(sqlite_warehouse.engine).get_columns(
        "odoo_res_partner")}  # fmt: skip
    assert "active" in columns and "city" not in columns


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        ("odoo_res_partner.citty", "; the nearest is 'odoo_res_partner.city'."),
        ("odoo_res_partner.x_tax_number", "as the run started. Correct the entry"),
    ],
)
def test_an_odoo_entry_must_name_a_field_odoo_describes(entry, said, warehouse):
    """Odoo describes every field of a model as the run starts: an entry for one it does
    not have is refused then, before a record is read, however far from any name."""
    source = SOURCES["odoo"]
    with source.running() as running:
        result = source.run(running, warehouse, streams=["res_partner"],
                            privacy={"hash": [entry]}, raise_on_error=False)  # fmt: skip
        paths = [r.path for r in running.emulator.requests]
    assert not result.success
    text = failure_text(result)
    assert f"{entry!r} (under hash) names no column of odoo_res_partner, whose columns the " \
        "source described as the run started" in text  # fmt: skip
    assert said in text
    assert any("fields_get" in p for p in paths)
    assert not [p for p in paths if "search" in p], paths
    assert not warehouse.has_table("odoo_res_partner")
