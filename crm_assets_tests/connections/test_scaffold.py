"""`dg scaffold defs crm_assets.<Type> <name>`: a connection that works before any
credential, under its own names, with every setting listed at its default."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from dagster import AssetKey

import crm_assets
from crm_assets.core.runtime.scaffold import defaults, defs_yaml

# Each type, the name its test gives the new connection, and a cheap stream to sync.
TYPES = {
    "NectarCrmConnection": ("nectarcrm_br", "pipelines"),
    "PipedriveConnection": ("pipedrive_latam", "pipelines"),
    "KommoConnection": ("kommo_mx", "pipelines"),
    "OdooConnection": ("odoo_eu", "payment"),
}


@pytest.mark.parametrize("type_name", TYPES)
def test_a_scaffolded_connection_syncs_from_an_emulator_of_its_own(
    project, type_name, monkeypatch, tmp_path
):
    name, stream = TYPES[type_name]
    done = project.dg("scaffold", "defs", f"crm_assets.{type_name}", name)
    assert done.returncode == 0, done.stdout + done.stderr
    text = (project.defs_folder / name / "defs.yaml").read_text()
    assert text.startswith(f"type: crm_assets.{type_name}\n")
    # Every attribute is there, commented out at its default.
    component = getattr(crm_assets, type_name)
    for attribute, value in defaults(component, name).items():
        listed = yaml.safe_dump({attribute: value}, sort_keys=False).splitlines()[0]
        assert f"  # {listed}\n" in text, attribute

    warehouse = tmp_path / "warehouse.db"
    monkeypatch.setenv("CRM_ASSETS_DEMO", "1")
    monkeypatch.setenv("CRM_WAREHOUSE_URL", f"sqlite:///{warehouse}")
    defs = project.definitions()
    assert {j.name for j in defs.jobs} >= {f"{name}_sync", f"{name}_full_sync", "all_sources_sync"}
    assert {s.name for s in defs.schedules} == {
        f"{name}_hourly", f"{name}_daily", f"{name}_weekly_full"
    }  # fmt: skip
    assert name in defs.resources
    key = AssetKey([name, stream])
    assets = defs.resolve_assets_def(key)
    assert assets.group_names_by_key[key] == name
    assert assets.node_def.pool == name

    today = datetime.now(UTC).strftime("%Y-%m-%d")
    result = defs.resolve_job_def(f"{name}_sync").execute_in_process(
        partition_key=today, asset_selection=[key], raise_on_error=False
    )
    assert result.success
    with sa.create_engine(f"sqlite:///{warehouse}").connect() as connection:
        table = sa.table(f"{name}_{stream}")
        rows = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
    assert rows > 0


@pytest.mark.parametrize("type_name", TYPES)
def test_the_listed_defaults_are_the_settings_a_bare_connection_gets(type_name):
    component_type = getattr(crm_assets, type_name)
    name = TYPES[type_name][0]
    listed = defaults(component_type, name)
    bare = component_type(name=name).connection().resource
    # Every listed attribute given its listed value makes the same resource.
    given = component_type(name=name, **listed).connection().resource
    assert given.model_dump() == bare.model_dump()
    for attribute, value in listed.items():
        setting = attribute.removesuffix("_env_var")
        if attribute.endswith("_env_var") and setting in type(bare).model_fields:
            assert bare.variable(setting) == value
        elif attribute in type(bare).model_fields:
            assert getattr(bare, attribute) == value, attribute


def test_every_resource_setting_is_an_attribute_of_its_connection():
    for type_name in TYPES:
        component_type = getattr(crm_assets, type_name)
        resource = component_type.SOURCE.resource
        secret = resource.SECRET_FIELD
        # Set by the component itself, or secrets, which only a variable may hold.
        own = {"connection", "variables", secret, "pii_key"}
        missing = set(resource.model_fields) - own - set(component_type.model_fields)
        assert not missing, f"{type_name} lacks {sorted(missing)}"


def test_the_shipped_connections_list_every_setting_as_scaffolding_would():
    folders = Path(crm_assets.__file__).parent / "defs"
    for type_name in TYPES:
        name = getattr(crm_assets, type_name).SOURCE.name
        shipped = (folders / name / "defs.yaml").read_text()
        assert shipped == defs_yaml(f"crm_assets.{type_name}", getattr(crm_assets, type_name), name)
