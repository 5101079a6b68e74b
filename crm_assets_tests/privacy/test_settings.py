"""The privacy settings as the code location binds them from the environment."""

from __future__ import annotations

import json

import pytest
import yaml
from dagster import Failure
from dagster._core.snap.snap_to_yaml import default_values_yaml_from_type_snap

from crm_assets.core.privacy import PolicyError, read_policy_env
from crm_assets.definitions import SOURCES, build_definitions

KEY = "env-pii-key-1f0e9d8c7b6a"
POLICY = {"hash": ["email", "cpf"], "mask": ["person_name"]}


def _launchpad(job_name: str) -> dict:
    job = build_definitions().resolve_job_def(job_name)
    snapshot = job.get_job_snapshot()
    schema = snapshot.config_schema_snapshot
    root = schema.get_config_snap(snapshot.mode_def_snaps[0].root_config_key)
    return yaml.safe_load(default_values_yaml_from_type_snap(schema, root))


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.name)
def test_the_policy_and_key_come_from_the_environment_and_the_key_stays_hidden(source, monkeypatch):
    monkeypatch.setenv("CRM_PII_KEY", KEY)
    monkeypatch.setenv("CRM_PII_POLICY", json.dumps(POLICY))
    config = _launchpad(f"{source.name}_sync")["resources"][source.name]["config"]
    assert config["privacy"] == POLICY
    assert config["pii_key"] == {"env": "CRM_PII_KEY"}
    assert KEY not in str(_launchpad("erase_data_subject"))


def test_without_variables_every_source_keeps_everything(monkeypatch):
    monkeypatch.delenv("CRM_PII_KEY", raising=False)
    monkeypatch.delenv("CRM_PII_POLICY", raising=False)
    for source in SOURCES:
        config = _launchpad(f"{source.name}_sync")["resources"][source.name]["config"]
        assert config["privacy"] == {} and config["pii_key"] == ""


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("hash: email", "CRM_PII_POLICY is not JSON"),
        ('{"hash": "email"}', "must map actions to lists"),
        ('{"hash": ["mail"]}', "'mail' \\(under hash\\) is neither a class"),
    ],
)
def test_a_bad_policy_variable_fails_each_source_at_setup_not_the_load(value, message, monkeypatch):
    monkeypatch.setenv("CRM_PII_POLICY", value)
    with pytest.raises(PolicyError, match=message):
        read_policy_env()
    # The launchpad still builds: the definitions loaded.
    config = _launchpad("pipedrive_sync")["resources"]["pipedrive"]["config"]
    assert list(config["privacy"]) == ["CRM_PII_POLICY"]
    for source in SOURCES:
        resource = source.resource.from_env(source.streams)
        with pytest.raises(Failure, match=f"^{source.title}: .*{message}"):
            resource.privacy_policy()
        # A source given its own policy replaces the default and is not held by it.
        source.resource.from_env(source.streams, privacy={"mask": ["email"]}).privacy_policy()
