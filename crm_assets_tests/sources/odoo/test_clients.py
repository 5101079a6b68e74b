"""Third-party Odoo clients, unmodified but for the URL, read the emulator's five models."""

from __future__ import annotations

import xmlrpc.client
from urllib.parse import urlsplit

import odoorpc
import pytest

from crm_assets.sources.odoo.streams import BUILT_IN
from crm_assets_tests.sources.odoo.conftest import TOKEN

MODELS = [model for _, model, _, _ in BUILT_IN]


@pytest.mark.parametrize("version", (19, 17))
def test_python_xmlrpc_client_reads_every_model(make_odoo, version):
    running = make_odoo(version=version)
    common = xmlrpc.client.ServerProxy(f"{running.url}/xmlrpc/2/common")
    assert common.version()["server_version"] == f"{version}.0"
    uid = common.authenticate("mutual", "admin", TOKEN, {})
    assert uid
    models = xmlrpc.client.ServerProxy(f"{running.url}/xmlrpc/2/object")
    for model in MODELS:
        rows = models.execute_kw("mutual", uid, TOKEN, model, "search_read", [[]],
                                 {"fields": ["name", "write_date"], "limit": 5,
                                  "context": {"active_test": False}})  # fmt: skip
        assert len(rows) == 5 and all(set(r) == {"id", "name", "write_date"} for r in rows)
        count = models.execute_kw("mutual", uid, TOKEN, model, "search_count", [[]])
        assert count == len([r for r in running.emulator.records(model) if r.get("active", True)])
    payment = models.execute_kw("mutual", uid, TOKEN, "account.payment", "read", [[1]],
                                {"fields": ["journal_id"]})[0]  # fmt: skip
    assert isinstance(payment["journal_id"], list) and len(payment["journal_id"]) == 2

    with pytest.raises(xmlrpc.client.Fault) as denied:
        models.execute_kw("mutual", uid, "wrong-key", "account.payment", "search", [[]])
    assert denied.value.faultCode == 3


@pytest.mark.parametrize("version", (19, 17))
def test_odoorpc_reads_every_model(make_odoo, version):
    running = make_odoo(version=version)
    url = urlsplit(running.url)
    odoo = odoorpc.ODOO(url.hostname, port=url.port)
    assert odoo.version == f"{version}.0"
    assert odoo.db.list() == ["mutual"]
    odoo.login("mutual", "admin", TOKEN)
    for model in MODELS:
        records = odoo.env[model]
        ids = records.search([], limit=4)
        assert len(ids) == 4
        rows = odoo.execute_kw(model, "search_read", [[["id", "in", ids]]], {"fields": ["name"]})
        assert sorted(r["id"] for r in rows) == sorted(ids)
    policy = odoo.env["mut.policy"].browse(odoo.env["mut.policy"].search([], limit=1))
    assert policy.equotation_id.name.startswith("PROP/")
