"""A connection's defs.yaml: what is refused, where, and without repeating a secret."""

from __future__ import annotations

import re
import traceback

import pytest

from crm_assets_tests.connections.projects import Project, connection_yaml

SECRET = "3f2a9c41d0aa7e5b"


def _refusal(project: Project) -> str:
    with pytest.raises(Exception) as raised:
        project.definitions()
    text = "".join(traceback.format_exception(raised.value))
    assert SECRET not in text
    return text


@pytest.mark.parametrize(
    ("attributes", "said"),
    [
        ({"api_tokn": SECRET}, "attributes.api_tokn at {path}:4`\n  Extra inputs are not permitted"),
        ({"api_token": SECRET}, "attributes.api_token at {path}:4`\n  Value error, api_token is a secret"),
        ({"api_token_env_var": SECRET}, "attributes.api_token_env_var at {path}:4`\n  Value error, "
         "api_token_env_var takes the NAME of an environment variable"),
        ({"api_token_env_var": "'{{ env.PD_TOKEN }}'"}, "api_token_env_var at {path}:4`"),
        ({"name": "Pipedrive-LATAM"}, "attributes.name at {path}:4`\n  Value error, "
         "'Pipedrive-LATAM' is not a valid connection name"),
        ({"start_date": "2025-13-01"}, "attributes.start_date at {path}:4`\n  Value error, "
         "'2025-13-01' is not a date"),
    ],
)  # fmt: skip
def test_a_bad_attribute_is_refused_at_its_file_and_line(project, attributes, said):
    path = project.declare("pd_a", connection_yaml("PipedriveConnection", **attributes))
    assert said.format(path=path) in _refusal(project)


def test_a_folder_name_that_cannot_name_a_connection_is_refused(project):
    path = project.declare("pd-a", connection_yaml("PipedriveConnection", history_days=0))
    assert f"{path}: 'pd-a' is not a valid connection name" in _refusal(project)


def test_two_connections_writing_one_table_are_refused(project):
    first = project.declare("pd_a", connection_yaml("PipedriveConnection", history_days=0))
    second = project.declare("pd_b", connection_yaml("PipedriveConnection", table_prefix="pd_a_"))
    text = _refusal(project)
    assert (
        f"{second}:4: connection 'pd_b' would write table pd_a_activities, which connection "
        f"'pd_a' ({first}:3) writes too; give each connection a table_prefix of its own."
    ) in text


def test_two_connections_of_one_name_are_refused(project):
    first = project.declare("pd_a", connection_yaml("PipedriveConnection", name="sales"))
    second = project.declare("pd_b", connection_yaml("KommoConnection", name="sales"))
    assert (f"{second}:4: a connection named 'sales' is declared in {first}:4 too") in _refusal(
        project
    )


def test_dg_check_defs_refuses_a_bad_file_and_says_where(project):
    path = project.declare("pd_a", connection_yaml("PipedriveConnection", api_token_env_var=SECRET))
    checked = project.dg("check", "defs")
    output = checked.stdout + checked.stderr
    assert checked.returncode != 0
    # dg draws its report in a box, wrapping long lines: compare without the drawing.
    flat = re.sub(r"[\s│]", "", output)
    assert (
        f"attributes.api_token_env_varat{path}:4`Valueerror,api_token_env_vartakestheNAME" in flat
    )
    assert SECRET not in flat
