"""The Odoo emulator answers like Odoo: JSON-2 statuses and error objects, legacy envelopes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from crm_assets_tests.sources.odoo.conftest import TOKEN

AUTH = {"Authorization": f"bearer {TOKEN}"}
ERROR_KEYS = {"name", "message", "arguments", "context", "debug"}


def post(url: str, path: str, body=None, headers=None, **kwargs):
    return requests.post(f"{url}{path}", json=body, headers={**AUTH, **(headers or {})},
                         timeout=10, **kwargs)  # fmt: skip


@pytest.fixture
def v19(make_odoo):
    return make_odoo(version=19)


def test_web_version_is_19s_and_version_info_answers_on_every_version(make_odoo):
    """`/web/version` came with 19's `rpc` module: 17 and 18 answer their 404 page."""
    for version in (19, 18, 17):
        running = make_odoo(version=version)
        answer = requests.get(f"{running.url}/web/version", timeout=10)
        info = [version, 0, 0, "final", 0, ""]
        if version >= 19:
            assert answer.json() == {"version_info": info, "version": f"{version}.0"}
        else:
            assert answer.status_code == 404 and "html" in answer.headers["Content-Type"]
        call = {"jsonrpc": "2.0", "method": "call", "params": {}, "id": 3}
        body = requests.post(f"{running.url}/web/webclient/version_info", json=call,
                             timeout=10).json()  # fmt: skip
        assert body["id"] == 3 and body["result"]["server_version_info"] == info


def test_json2_answers_the_bare_result(v19):
    body = {"domain": [["state", "=", "posted"]], "fields": ["name", "journal_id"], "limit": 3,
            "order": "write_date asc, id asc"}  # fmt: skip
    answer = post(v19.url, "/json/2/account.payment/search_read", body)
    assert answer.status_code == 200
    rows = answer.json()
    assert len(rows) == 3 and set(rows[0]) == {"id", "name", "journal_id"}
    assert isinstance(rows[0]["journal_id"], list)
    count = post(v19.url, "/json/2/account.payment/search_count", {"domain": []}).json()
    assert count == len(v19.emulator.records("account.payment"))
    fields = post(v19.url, "/json/2/mut.policy/fields_get", {"attributes": ["string", "type"]})
    assert fields.json()["equotation_id"] == {"string": "Proposta de Origem", "type": "many2one"}


@pytest.mark.parametrize(
    "path, body, headers, status, name",
    [
        ("/json/2/account.payment/search", {"domain": []}, {"Authorization": ""}, 401,
         "werkzeug.exceptions.Unauthorized"),
        ("/json/2/account.payment/search", {"domain": []}, {"Authorization": "bearer nope"}, 401,
         "werkzeug.exceptions.Unauthorized"),
        ("/json/2/no.such.model/search", {"domain": []}, {}, 404, "builtins.KeyError"),
        ("/json/2/account.payment/frobnicate", {}, {}, 404, "werkzeug.exceptions.NotFound"),
        ("/json/2/account.payment/search", {"domian": []}, {}, 422,
         "werkzeug.exceptions.UnprocessableEntity"),
        ("/json/2/account.payment/search_count", {"ids": [1], "domain": []}, {}, 422,
         "werkzeug.exceptions.UnprocessableEntity"),
        ("/json/2/account.payment/search", {"domain": [["nope", "=", 1]]}, {}, 500,
         "builtins.ValueError"),
    ],
)  # fmt: skip
def test_json2_errors_carry_odoo_statuses_and_error_objects(v19, path, body, headers, status, name):
    answer = post(v19.url, path, body, headers)
    assert answer.status_code == status
    assert set(answer.json()) == ERROR_KEYS and answer.json()["name"] == name
    if status == 401 and not headers["Authorization"]:
        assert answer.headers["WWW-Authenticate"] == "bearer"


def test_json2_refuses_other_bodies_and_unnamed_databases(make_odoo):
    running = make_odoo(version=19, databases=("a", "b"))
    url = f"{running.url}/json/2/account.payment/search"
    as_text = requests.post(
        url, data="{}", headers={**AUTH, "Content-Type": "text/plain"}, timeout=10
    )
    assert as_text.status_code == 415
    unnamed = requests.post(url, json={"domain": []}, headers=AUTH, timeout=10)
    assert unnamed.status_code == 404 and "html" in unnamed.headers["Content-Type"]
    named = post(
        running.url, "/json/2/account.payment/search", {"domain": []}, {"X-Odoo-Database": "b"}
    )
    assert named.status_code == 200
    broken = requests.post(url, data="{", headers={**AUTH, "Content-Type": "application/json",
                                                   "X-Odoo-Database": "a"}, timeout=10)  # fmt: skip
    assert broken.status_code == 400


def test_version_17_has_no_json2_but_answers_json_rpc(make_odoo):
    running = make_odoo(version=17)
    assert post(running.url, "/json/2/account.payment/search", {"domain": []}).status_code == 404
    call = {"jsonrpc": "2.0", "method": "call", "id": 4, "params": {"service": "object",
            "method": "execute_kw", "args": ["mutual", 2, TOKEN, "mut.policy", "search_read",
                                             [[]], {"fields": ["equotation_id"], "limit": 1}]}}  # fmt: skip
    answer = requests.post(f"{running.url}/jsonrpc", json=call, timeout=10).json()
    assert answer["id"] == 4 and answer["result"][0]["equotation_id"][1].startswith("PROP/")
    call["params"]["args"][2] = "wrong"
    error = requests.post(f"{running.url}/jsonrpc", json=call, timeout=10)
    assert error.status_code == 200
    assert error.json()["error"]["data"]["name"] == "odoo.exceptions.AccessDenied"
    assert error.json()["error"]["message"] == "Odoo Server Error"


def test_archived_records_are_hidden_unless_active_test_is_false(v19):
    quotations = v19.emulator.records("mut.insurance.quotation")
    archived = [r["id"] for r in quotations if not r["active"]]
    assert archived
    default = post(v19.url, "/json/2/mut.insurance.quotation/search", {"domain": []}).json()
    everything = post(v19.url, "/json/2/mut.insurance.quotation/search",
                      {"domain": [], "context": {"active_test": False}}).json()  # fmt: skip
    assert not set(archived) & set(default)
    assert sorted(everything) == sorted(r["id"] for r in quotations)


def test_empty_values_are_false_and_hard_deletes_leave_no_trace(v19):
    rows = post(v19.url, "/json/2/account.payment/search_read",
                {"domain": [["state", "=", "draft"]], "fields": ["move_id", "payment_reference"]}).json()  # fmt: skip
    assert rows and all(r["move_id"] is False and r["payment_reference"] is False for r in rows)
    v19.emulator.delete("account.payment", rows[0]["id"])
    read = post(
        v19.url, "/json/2/account.payment/read", {"ids": [rows[0]["id"]], "fields": ["name"]}
    )
    assert read.status_code == 404 and read.json()["name"] == "odoo.exceptions.MissingError"


def call(running, model: str, method: str, **arguments):
    """A model method by name over the server's protocol: JSON-2 on 19, execute_kw on 17."""
    if running.emulator.version >= 19:
        answer = post(running.url, f"/json/2/{model}/{method}", arguments)
        assert answer.status_code == 200, answer.text
        return answer.json()
    body = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": {"service": "object",
            "method": "execute_kw", "args": ["mutual", 2, TOKEN, model, method, [], arguments]}}  # fmt: skip
    return requests.post(f"{running.url}/jsonrpc", json=body, timeout=10).json()["result"]


@pytest.mark.parametrize("version", (19, 17))
def test_id_bounds_and_id_orders_answer_as_odoo_does(make_odoo, version):
    running = make_odoo(version=version)
    model, everything = "mut.insurance.quotation", {"active_test": False}
    ids = sorted(r["id"] for r in running.emulator.records(model))
    assert call(running, model, "search", domain=[], order="id asc", limit=1,
                context=everything) == [ids[0]]  # fmt: skip
    assert call(running, model, "search", domain=[], order="id desc", limit=1,
                context=everything) == [ids[-1]]  # fmt: skip
    assert call(running, model, "search_count", domain=[], context=everything) == len(ids)
    rows = call(running, model, "search_read", domain=[["id", ">=", 10], ["id", "<", 17]],
                fields=["name"], order="id asc", context=everything)  # fmt: skip
    assert [r["id"] for r in rows] == list(range(10, 17))
    after = call(running, model, "search", domain=[["id", ">", ids[-3]]], order="id asc",
                 context=everything)  # fmt: skip
    assert after == ids[-2:]
    # Archived records stay hidden without the context, whatever the domain.
    archived = {r["id"] for r in running.emulator.records(model) if not r["active"]}
    shown = call(running, model, "search", domain=[["id", ">=", 1], ["id", "<", ids[-1] + 1]])
    assert set(shown) == set(ids) - archived


@pytest.mark.parametrize("version", (19, 17))
def test_created_records_take_the_next_id_never_a_deleted_one(make_odoo, version):
    running = make_odoo(version=version)
    emulator, model = running.emulator, "account.payment"
    highest = max(r["id"] for r in emulator.records(model))
    emulator.delete(model, highest)
    created = emulator.create(model, datetime(2026, 11, 21, 8, tzinfo=UTC), name="PBR/NEW")
    assert created == highest + 1
    [row] = call(running, model, "search_read", domain=[["id", ">", highest - 1]],
                 fields=["name", "state", "write_date", "company_id"])  # fmt: skip
    assert row["id"] == created and row["name"] == "PBR/NEW" and row["state"] is False
    assert row["write_date"] == "2026-11-21 08:00:00" and row["company_id"][0] == 1


def test_the_call_log_names_each_method_and_its_arguments_on_both_protocols(make_odoo):
    logged = []
    for version in (19, 17):
        running = make_odoo(version=version)
        running.emulator.reset_log()
        call(running, "mut.policy", "search", domain=[["id", ">", 3]], limit=2, order="id asc")
        logged.append(running.emulator.calls)
    assert logged[0] == logged[1]
    [only] = logged[0]
    assert (only.model, only.method) == ("mut.policy", "search")
    assert only.arguments == {"domain": [["id", ">", 3]], "limit": 2, "order": "id asc"}


def test_json2_writes_change_the_records_as_odoo_does(v19):
    [created] = post(v19.url, "/json/2/res.partner/create",
                     {"vals_list": {"name": "Novo", "write_date": "2000-01-01"}}).json()  # fmt: skip
    stored = v19.emulator.records("res.partner")[-1]
    assert stored["id"] == created and stored["active"] is True and stored["company_id"] == 1
    assert stored["write_date"] != "2000-01-01 00:00:00"  # the ORM's own column
    policy = v19.emulator.records("mut.policy")[0]
    certificates = policy["certificate_ids"]
    commands = {"vals": {"certificate_ids": [[3, certificates[0]], [4, 999]]}}
    assert post(v19.url, "/json/2/mut.policy/write", {"ids": [policy["id"]], **commands}).json()
    after = v19.emulator.records("mut.policy")[0]["certificate_ids"]
    assert after == [*certificates[1:], 999]
    for vals, message in (({"nope": 1}, "Invalid field 'nope'"),
                          ({"state": "lost"}, "Wrong value for mut.policy.state")):  # fmt: skip
        refused = post(v19.url, "/json/2/mut.policy/write", {"ids": [1], "vals": vals})
        assert refused.status_code == 500 and message in refused.json()["message"]
    assert post(v19.url, "/json/2/res.partner/unlink", {"ids": [created]}).json() is True
    gone = post(v19.url, "/json/2/res.partner/unlink", {"ids": [created]})
    assert gone.status_code == 404 and gone.json()["name"] == "odoo.exceptions.MissingError"


@pytest.mark.parametrize("version", (17, 18, 19))
def test_a_parameter_18_renamed_goes_by_its_name_on_each_version(make_odoo, version):
    """`name_search` takes `args` on 17 and `domain` from 18 on."""
    running = make_odoo(version=version)
    old, new = ("args", "domain") if version == 17 else ("domain", "args")
    name = running.emulator.records("res.partner")[0]["name"]
    body = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": {"service": "object",
            "method": "execute_kw", "args": ["mutual", 2, TOKEN, "res.partner", "name_search",
                                             [name], {old: [["id", "=", 1]]}]}}  # fmt: skip
    answer = requests.post(f"{running.url}/jsonrpc", json=body, timeout=10).json()
    assert answer["result"] == [[1, name]]
    body["params"]["args"][-1] = {new: []}
    error = requests.post(f"{running.url}/jsonrpc", json=body, timeout=10).json()["error"]
    assert error["data"]["name"] == "builtins.TypeError"


def test_write_date_leaves_compare_times_as_odoo_does(v19):
    model, everything = "account.payment", {"active_test": False}
    records = v19.emulator.records(model)
    moment = sorted(r["write_date"] for r in records)[len(records) // 2]
    on = {r["id"] for r in records if r["write_date"] == moment}
    before = {r["id"] for r in records if r["write_date"] < moment}

    def ids(domain) -> set[int]:
        answer = post(v19.url, f"/json/2/{model}/search",
                      {"domain": domain, "context": everything})  # fmt: skip
        assert answer.status_code == 200, answer.text
        return set(answer.json())

    # Half-open ranges meet without a gap or an overlap, at a second records share.
    assert ids([["write_date", "<", moment]]) == before
    assert ids([["write_date", ">=", moment]]) == {r["id"] for r in records} - before
    assert ids([["write_date", "=", moment]]) == on
    # A day stands for its first second, or its last after `>` and `<=`.
    day = moment[:10]
    assert ids([["write_date", ">=", day]]) == ids([["write_date", ">=", f"{day} 00:00:00"]])
    assert ids([["write_date", "<=", day]]) == ids([["write_date", "<=", f"{day} 23:59:59"]])
    # Odoo parses the value: an ISO `T`, a zone or a fraction is a ValueError.
    for value in (moment.replace(" ", "T"), f"{moment}+00:00", f"{moment}.5"):
        answer = post(v19.url, f"/json/2/{model}/search", {"domain": [["write_date", ">", value]]})
        assert answer.status_code == 500, value
        assert answer.json()["name"] == "builtins.ValueError"
