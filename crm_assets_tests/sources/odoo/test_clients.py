"""Third-party Odoo clients, unmodified but for the URL, against the emulator on 17 and 19.

Python's own XML-RPC client on `/xmlrpc/2/`, and OdooRPC (JSON-RPC, and the web
client's session routes through its raw `json` call): every call a user makes
through them passes, or meets the error Odoo answers.
"""

from __future__ import annotations

import xmlrpc.client
from urllib.parse import urlsplit

import odoorpc
import pytest

from crm_assets.sources.odoo.streams import BUILT_IN
from crm_assets_tests.sources.odoo.conftest import PASSWORD, TOKEN

MODELS = [model for _, model, _, _ in BUILT_IN]


def test_python_xmlrpc_client_reads_every_model(served):
    common = xmlrpc.client.ServerProxy(f"{served.url}/xmlrpc/2/common")
    assert common.version()["server_version"] == f"{served.version}.0"
    uid = common.authenticate("mutual", "admin", TOKEN, {})
    assert uid
    models = xmlrpc.client.ServerProxy(f"{served.url}/xmlrpc/2/object")
    for model in MODELS:
        rows = models.execute_kw("mutual", uid, TOKEN, model, "search_read", [[]],
                                 {"fields": ["name", "write_date"], "limit": 5,
                                  "context": {"active_test": False}})  # fmt: skip
        assert len(rows) == 5 and all(set(r) == {"id", "name", "write_date"} for r in rows)
        count = models.execute_kw("mutual", uid, TOKEN, model, "search_count", [[]])
        assert count == len([r for r in served.emulator.records(model) if r.get("active", True)])
    payment = models.execute_kw("mutual", uid, TOKEN, "account.payment", "read", [[1]],
                                {"fields": ["journal_id"]})  # fmt: skip
    assert isinstance(payment[0]["journal_id"], list) and len(payment[0]["journal_id"]) == 2


def test_python_xmlrpc_faults_carry_odoos_integer_codes(served):
    models = xmlrpc.client.ServerProxy(f"{served.url}/xmlrpc/2/object")
    with pytest.raises(xmlrpc.client.Fault) as denied:
        models.execute_kw("mutual", 2, "wrong-key", "account.payment", "search", [[]])
    assert (denied.value.faultCode, denied.value.faultString) == (3, "Access Denied")
    with pytest.raises(xmlrpc.client.Fault) as missing:
        models.execute_kw("mutual", 2, TOKEN, "account.payment", "read", [[999999]])
    assert missing.value.faultCode == 2 and "does not exist" in missing.value.faultString
    with pytest.raises(xmlrpc.client.Fault) as private:
        models.execute_kw("mutual", 2, TOKEN, "account.payment", "_read", [[1]])
    assert private.value.faultCode == 4 and "Private methods" in private.value.faultString
    with pytest.raises(xmlrpc.client.Fault) as unknown:
        models.execute_kw("mutual", 2, TOKEN, "account.payment", "name_get", [[1]])
    assert unknown.value.faultCode == 1
    assert "AttributeError: The method 'name_get' does not exist" in unknown.value.faultString


@pytest.fixture(scope="module")
def odoo(served):
    url = urlsplit(served.url)
    client = odoorpc.ODOO(url.hostname, port=url.port)
    client.login("mutual", "admin", TOKEN)
    return client


def test_odoorpc_connects_lists_databases_and_logs_in(served, odoo):
    assert odoo.version == f"{served.version}.0"
    assert odoo.db.list() == ["mutual"]
    assert odoo.env.uid == 2 and odoo.env.db == "mutual"
    assert odoo.env.context == {"lang": "pt_BR", "tz": "America/Sao_Paulo", "uid": 2}
    assert odoo.env.lang == "pt_BR"
    url = urlsplit(served.url)
    with pytest.raises(odoorpc.error.RPCError, match="Wrong login ID or password"):
        odoorpc.ODOO(url.hostname, port=url.port).login("mutual", "admin", "not-the-key")


def test_odoorpc_database_management_is_denied_without_the_master_password(served):
    url = urlsplit(served.url)
    client = odoorpc.ODOO(url.hostname, port=url.port)  # `drop` logs its client out
    with pytest.raises(odoorpc.error.RPCError, match="Access Denied"):
        client.db.dump("admin", "mutual")
    with pytest.raises(odoorpc.error.RPCError, match="Access Denied"):
        client.db.drop("admin", "mutual")
    assert served.emulator.databases == ("mutual",)


def test_odoorpc_environment_user_ref_and_model_lookup(odoo):
    assert odoo.env.user.name == "Administrator" and odoo.env.user.id == 2
    assert odoo.env.ref("base.main_company").name == "Mutual Seguros S.A."
    assert "res.partner" in odoo.env and "res.users" in odoo.env
    assert "crm.lead" not in odoo.env
    with pytest.raises(odoorpc.error.RPCError, match="External ID not found"):
        odoo.env.ref("base.no_such_record")


def test_odoorpc_reads_every_model_through_its_model_proxies(served, odoo):
    for model in MODELS:
        records = odoo.env[model]
        ids = records.search([], limit=4)
        assert len(ids) == 4
        rows = odoo.execute_kw(model, "search_read", [[["id", "in", ids]]], {"fields": ["name"]})
        assert sorted(r["id"] for r in rows) == sorted(ids)
        assert records.search_count([]) == len(
            [r for r in served.emulator.records(model) if r.get("active", True)]
        )
        assert set(records.fields_get(attributes=["type"])) == set(served.emulator.fields(model))


def test_odoorpc_browses_records_and_follows_relations(served, odoo):
    policies = odoo.env["mut.policy"]
    policy = policies.browse(policies.search([], limit=1))
    stored = served.emulator.records("mut.policy")[policy.id - 1]
    assert policy.name == stored["name"]
    assert policy.equotation_id.name.startswith("PROP/")
    assert [c.id for c in policy.certificate_ids] == stored["certificate_ids"]
    assert [p.name for p in odoo.env["res.partner"].browse([1, 2])] == [
        r["name"] for r in served.emulator.records("res.partner")[:2]
    ]
    assert odoo.env["res.partner"].browse(False).active is True  # default_get


def test_odoorpc_context_shows_archived_records(served, odoo):
    quotations = odoo.env["mut.insurance.quotation"]
    every = served.emulator.records("mut.insurance.quotation")
    assert quotations.with_context(active_test=False).search_count([]) == len(every)
    assert quotations.search_count([]) == len([r for r in every if r["active"]])


def test_odoorpc_creates_writes_and_unlinks(served, odoo):
    partners = odoo.env["res.partner"]
    created = partners.create({"name": "Cliente Novo", "city": "Recife"})
    record = partners.browse(created)
    record.city = "Olinda"  # written at once (auto_commit)
    assert served.emulator.records("res.partner")[-1]["city"] == "Olinda"
    assert partners.write([created], {"email": "novo@example.com"}) is True
    assert partners.read([created], ["email"])[0]["email"] == "novo@example.com"
    record.unlink()
    assert created not in {r["id"] for r in served.emulator.records("res.partner")}


def test_odoorpc_execute_name_search_and_read_group(served, odoo):
    assert odoo.execute("res.partner", "search", [["id", "<", 3]]) == [1, 2]
    name = served.emulator.records("res.partner")[0]["name"]
    assert odoo.env["res.partner"].name_search(name) == [[1, name]]
    groups = odoo.env["account.payment"].read_group([], ["amount"], ["state"], lazy=False)
    every = served.emulator.records("account.payment")
    assert sum(g["__count"] for g in groups) == len(every)
    assert sum(g["amount"] for g in groups) == pytest.approx(sum(r["amount"] for r in every))
    months = odoo.env["account.payment"].read_group([], [], ["date:year"])
    assert sum(g["date_count"] for g in months) == len(every)


def test_odoorpc_lists_reports(odoo):
    reports = odoo.report.list()
    assert reports["account.payment"] == [{"name": "Payment Receipt", "report_type": "qweb-pdf",
                                           "report_name": "account.report_payment_receipt"}]  # fmt: skip


def test_odoorpc_raw_json_reaches_the_web_session_routes(served, odoo):
    with pytest.raises(odoorpc.error.RPCError, match="Session expired") as expired:
        odoo.json("/web/dataset/call_kw", {"model": "res.partner", "method": "search_count",
                                           "args": [[]], "kwargs": {}})  # fmt: skip
    assert expired.value.info["code"] == 100
    assert expired.value.info["data"]["name"] == "odoo.http.SessionExpiredException"
    session = odoo.json("/web/session/authenticate",
                        {"db": "mutual", "login": "admin", "password": PASSWORD})  # fmt: skip
    assert session["result"]["uid"] == 2
    counted = odoo.json("/web/dataset/call_kw/res.partner/search_count", {"model": "res.partner",
                        "method": "search_count", "args": [[]], "kwargs": {}})  # fmt: skip
    assert counted["result"] == len(
        [r for r in served.emulator.records("res.partner") if r["active"]]
    )
    odoo.json("/web/session/destroy", {})


def test_odoorpc_logs_out(served):
    url = urlsplit(served.url)
    client = odoorpc.ODOO(url.hostname, port=url.port)
    client.login("mutual", "admin", PASSWORD)
    assert client.logout() is True and client.logout() is False
