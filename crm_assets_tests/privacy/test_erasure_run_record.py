"""An erasure run whose stored record holds no identifier in clear.

Dagster keeps a run's config with the run. Given as its keyed hash (printed by
`python -m crm_assets.erasure_hash`) or as a variable (`{env: VAR}`), the identifier
is in neither the stored config nor the event log, and the person is still erased.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from dagster import DagsterInstance

from crm_assets import erasure_hash
from crm_assets.core.privacy import KEY_VARIABLE, digits, pseudonym
from crm_assets_tests.privacy.sources import PII_KEY, SOURCES, run_erasure
from crm_assets_tests.privacy.test_erasure_links import Person, traces

EMAIL = "Bea.Reservada@Exemplo.com.br"
CPF = "529.982.247-25"
HASH_ALL = {"hash": ["email", "phone", "cpf", "cnpj", "document"]}


def _sync(warehouse, privacy) -> None:
    """NectarCRM with one contact, the subject: stored raw, or hashed by `privacy`."""
    nectar = SOURCES["nectarcrm"]
    person = {"emails": [EMAIL], "cpf": CPF, "telefones": ["(11) 98765-4321"]}
    with nectar.running(sizes={"contatos": 1}, extra_contact_fields=person) as running:
        nectar.run(running, warehouse, streams=["contacts"], privacy=privacy or {})


def _erase(warehouse, config: dict) -> tuple[bool, str, str]:
    """Run the job; (success, its stored run config as text, its event log as text)."""
    with DagsterInstance.ephemeral() as instance:
        result, logs = run_erasure(warehouse, instance, config)
        stored = instance.get_run_by_id(result.run_id)
        return result.success, str(stored.run_config) + str(stored.tags), logs


@dataclass
class Printed:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def hash_cli(monkeypatch, capsys) -> Callable[..., Printed]:
    """`python -m crm_assets.erasure_hash` with `args`, its key in CRM_PII_KEY (unset
    when None): what it returned and printed. Run in this process: the module's own
    entry is held by `test_the_hash_cli_runs_as_a_module`."""

    def run(*args: str, key: str | None = PII_KEY) -> Printed:
        if key is None:
            monkeypatch.delenv(KEY_VARIABLE, raising=False)
        else:
            monkeypatch.setenv(KEY_VARIABLE, key)
        capsys.readouterr()
        returned = erasure_hash.main(args)
        out, err = capsys.readouterr()
        return Printed(returned, out, err)

    return run


def _clear(text: str) -> list[str]:
    """The forms of the subject's identifiers found in `text`."""
    forms = [EMAIL.lower(), CPF, digits(CPF)]
    return [form for form in forms if form in text.lower()]


def _contacts(warehouse) -> int:
    with warehouse.engine.connect() as connection:
        return connection.execute(sa.text('SELECT COUNT(*) FROM "nectarcrm_contacts"')).scalar()


@pytest.mark.parametrize("privacy", [None, HASH_ALL], ids=["stored-raw", "stored-hashed"])
def test_an_identifier_hash_from_the_cli_erases_with_no_identifier_in_the_run(
    warehouse, privacy, hash_cli
):
    _sync(warehouse, privacy)
    printed = hash_cli("--email", f" {EMAIL} ")
    assert printed.returncode == 0, printed.stderr
    digest = printed.stdout.strip()
    assert digest == pseudonym(PII_KEY.encode(), "email", EMAIL)
    assert _contacts(warehouse) == 1
    success, stored, logs = _erase(warehouse, {"identifier_hash": digest})
    assert success, logs
    assert _contacts(warehouse) == 0
    # Found through the email, the contact's CPF went too: nowhere but the register.
    person = Person(names=set(), emails={EMAIL}, documents={CPF})
    assert traces(warehouse.engine, person) == {}
    assert digest in stored and _clear(stored) == []
    assert _clear(logs) == [] and digest[:16] in logs


def test_an_identifier_from_a_variable_leaves_only_its_name_in_the_run(
    sqlite_warehouse, monkeypatch
):
    _sync(sqlite_warehouse, None)
    monkeypatch.setenv("CRM_ERASE_TAX_ID", CPF)
    success, stored, logs = _erase(sqlite_warehouse, {"tax_id": {"env": "CRM_ERASE_TAX_ID"}})
    assert success, logs
    assert _contacts(sqlite_warehouse) == 0
    assert "CRM_ERASE_TAX_ID" in stored and _clear(stored) == []
    assert _clear(logs) == []


def test_a_hash_that_is_not_one_is_refused(sqlite_warehouse):
    success, _, logs = _erase(sqlite_warehouse, {"identifier_hash": EMAIL})
    assert not success and "identifier_hash is not 64 lower-case hex digits" in logs


@pytest.mark.parametrize(
    ("args", "key", "message"),
    [
        (("--tax-id", "529.982.247-26"), PII_KEY, "not a CPF or CNPJ"),
        (("--email", "nobody"), PII_KEY, "the email has no @"),
        (("--email", EMAIL), None, "CRM_PII_KEY is not set"),
    ],
)
def test_the_hash_cli_says_what_is_wrong(args, key, message, hash_cli):
    printed = hash_cli(*args, key=key)
    assert printed.returncode == 2 and message in printed.stderr and printed.stdout == ""


def test_the_hash_cli_runs_as_a_module():
    env = {**os.environ, KEY_VARIABLE: PII_KEY}
    printed = subprocess.run(
        [sys.executable, "-m", "crm_assets.erasure_hash", "--email", EMAIL],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == pseudonym(PII_KEY.encode(), "email", EMAIL) + "\n"


def test_an_identifier_typed_in_the_config_is_kept_with_the_run(sqlite_warehouse):
    """Why the two ways above exist, and that the checks above can see an identifier."""
    success, stored, logs = _erase(sqlite_warehouse, {"email": EMAIL})
    assert success, logs
    assert _clear(stored) == [EMAIL.lower()] and _clear(logs) == []
