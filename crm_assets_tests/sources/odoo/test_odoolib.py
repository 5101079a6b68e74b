"""odoo-client-lib (Odoo S.A.'s own client), unmodified, against the emulator.

Each of its protocols on 17 and 19: XML-RPC at the historical `/xmlrpc/<service>`,
JSON-RPC at `/jsonrpc`, and on 19 JSON-2, where the library reads
`/doc-bearer/<model>.json` to name positional arguments. Every call a user makes
through it passes, or meets the error Odoo answers.
"""

from __future__ import annotations

import xmlrpc.client
from urllib.parse import urlsplit

import odoolib
import pytest
from odoolib.tools import AuthenticationError, JsonRPCException

from crm_assets_tests.sources.odoo.conftest import PASSWORD, TOKEN

EVERYTHING = {"active_test": False}
# Each protocol on each version that has it (JSON-2 came with 19).
COMBINATIONS = [(17, "xmlrpc"), (17, "jsonrpc"), (19, "xmlrpc"), (19, "jsonrpc"), (19, "json2")]
pytestmark = pytest.mark.parametrize(
    "served, protocol", COMBINATIONS, indirect=["served"], ids=[f"odoo{v}-{p}" for v, p in
                                                                COMBINATIONS],
)  # fmt: skip


def connect(served, protocol: str, password: str = TOKEN):
    url = urlsplit(served.url)
    return odoolib.get_connection(hostname=url.hostname, port=url.port, protocol=protocol,
                                  database="mutual", login="admin", password=password)  # fmt: skip


@pytest.fixture
def connection(served, protocol):
    return connect(served, protocol)


@pytest.fixture
def partners(connection):
    return connection.get_model("res.partner")


def live(served, model: str = "res.partner") -> list[dict]:
    return [r for r in served.emulator.records(model) if r.get("active", True)]


def test_common_version_and_database_list(served, protocol, connection):
    if protocol == "json2":
        assert not hasattr(connection, "get_service")  # JSON-2 has no services
        return
    version = connection.get_service("common").version()
    assert version["server_version_info"][:2] == [served.version, 0]
    assert version["server_serie"] == f"{served.version}.0"
    assert connection.get_service("db").list() == ["mutual"]


def test_login_takes_the_key_or_the_password_and_refuses_anything_else(served, protocol):
    if protocol == "json2":
        assert connect(served, protocol).check_login() is True
        assert connect(served, protocol, password=PASSWORD).check_login() is False
        return
    for secret in (TOKEN, PASSWORD):
        connection = connect(served, protocol, password=secret)
        connection.check_login()
        assert connection.user_id == 2
    with pytest.raises(AuthenticationError, match="Authentication failure"):
        connect(served, protocol, password="not-the-key").check_login()


def test_user_context(connection):
    assert connection.get_user_context() == {"lang": "pt_BR", "tz": "America/Sao_Paulo", "uid": 2}


def test_search_with_a_domain_by_name_and_by_position(served, partners):
    cities = {r["city"] for r in live(served)}
    city = sorted(cities)[0]
    expected = sorted(r["id"] for r in live(served) if r["city"] == city)
    assert partners.search([["city", "=", city]]) == expected
    assert partners.search([["city", "=", city]], limit=1) == expected[:1]
    # domain, offset, limit, order: the library names them on JSON-2 from the doc.
    assert (
        partners.search([], 1, 2, "id desc") == sorted(r["id"] for r in live(served))[-3:-1][::-1]
    )


def test_read_one_id_gives_a_record_and_several_keep_their_order(served, partners):
    first, second = sorted(r["id"] for r in live(served))[:2]
    one = partners.read(first, ["name", "city"])
    assert one == {"id": first, "name": served.emulator.records("res.partner")[0]["name"],
                   "city": served.emulator.records("res.partner")[0]["city"]}  # fmt: skip
    both = partners.read([second, first], ["name"])
    assert [r["id"] for r in both] == [second, first]


def test_search_read_and_search_count(served, partners):
    rows = partners.search_read([["id", "<=", 4]], ["name", "write_date"])
    assert [r["id"] for r in rows] == [r["id"] for r in live(served) if r["id"] <= 4]
    assert all(set(r) == {"id", "name", "write_date"} for r in rows)
    assert partners.search_count([]) == len(live(served))


def test_context_shows_archived_records(served, connection):
    quotations = connection.get_model("mut.insurance.quotation")
    every = served.emulator.records("mut.insurance.quotation")
    assert quotations.search_count([], context=EVERYTHING) == len(every)
    assert quotations.search_count([]) == len([r for r in every if r["active"]])


def test_fields_get(partners):
    fields = partners.fields_get(attributes=["type", "string"])
    assert fields["city"] == {"type": "char", "string": "City"}


def test_name_search(served, partners):
    name = live(served)[0]["name"]
    assert partners.name_search(name.split()[0], limit=1)[0][1].split()[0] == name.split()[0]


def test_read_group(served, protocol, partners):
    if protocol == "json2":
        # 19 deprecates read_group, so its doc leaves it out: positional arguments
        # cannot be named, as against Odoo; named ones work.
        with pytest.raises(KeyError, match="read_group"):
            partners.read_group([], ["city"], ["city"])
        groups = partners.read_group(domain=[], fields=["city"], groupby=["city"])
    else:
        groups = partners.read_group([], ["city"], ["city"])
    counts = {g["city"]: g["city_count"] for g in groups}
    assert sum(counts.values()) == len(live(served))
    assert all(g["__domain"] == [["city", "=", g["city"]]] for g in groups)


def test_formatted_read_group_is_19s(served, protocol, connection):
    payments = connection.get_model("account.payment")
    if served.version < 19:
        error = xmlrpc.client.Fault if protocol == "xmlrpc" else JsonRPCException
        with pytest.raises(error, match="AttributeError"):
            payments.formatted_read_group([], ["state"], ["__count"])
        return
    groups = payments.formatted_read_group([], ["state"], ["__count", "amount:sum"])
    every = served.emulator.records("account.payment")
    assert sum(g["__count"] for g in groups) == len(every)
    posted = next(g for g in groups if g["state"] == "posted")
    assert posted["__extra_domain"] == [["state", "=", "posted"]]
    expected = sum(r["amount"] for r in every if r["state"] == "posted")
    assert posted["amount:sum"] == pytest.approx(expected)


def test_create_write_and_unlink_change_the_records(served, partners):
    created = partners.create({"name": "Cliente Novo", "city": "Recife"})
    [created] = created if isinstance(created, list) else [created]  # JSON-2 answers ids
    record = next(r for r in served.emulator.records("res.partner") if r["id"] == created)
    assert record["name"] == "Cliente Novo" and record["active"] is True
    assert partners.write([created], {"city": "Olinda"}) is True
    assert partners.read(created, ["city"])["city"] == "Olinda"
    assert partners.unlink([created]) is True
    assert created not in {r["id"] for r in served.emulator.records("res.partner")}


def test_an_unknown_model_is_refused_as_odoo_refuses_it(protocol, connection):
    leads = connection.get_model("crm.lead")
    if protocol == "xmlrpc":
        # The historical route: the fault code is a string.
        with pytest.raises(xmlrpc.client.Fault) as fault:
            leads.search([])
        assert fault.value.faultCode == "warning -- UserError\n\nObject crm.lead doesn't exist"
    elif protocol == "jsonrpc":
        with pytest.raises(JsonRPCException) as error:
            leads.search([])
        assert error.value.error["data"]["name"] == "odoo.exceptions.UserError"
    else:
        with pytest.raises(ValueError, match="Unexpected status code 404"):
            leads.search(domain=[])


def test_a_wrong_key_is_denied_on_a_model_call(served, protocol):
    connection = connect(served, protocol, password="not-the-key")
    connection.user_id = 2  # as a script that kept the id of an earlier login
    partners = connection.get_model("res.partner")
    if protocol == "xmlrpc":
        with pytest.raises(xmlrpc.client.Fault) as fault:
            partners.search([])
        assert (fault.value.faultCode, fault.value.faultString) == ("AccessDenied",
                                                                    "Access Denied")  # fmt: skip
    elif protocol == "jsonrpc":
        with pytest.raises(JsonRPCException) as error:
            partners.search([])
        assert error.value.error["data"]["name"] == "odoo.exceptions.AccessDenied"
    else:
        with pytest.raises(AuthenticationError):
            partners.search(domain=[])
