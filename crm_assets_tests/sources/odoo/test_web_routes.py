"""The routes beside the external API that clients use: the web client's session
routes, 19's `/doc-bearer/<model>.json`, and the historical `/xmlrpc/<service>`."""

from __future__ import annotations

import xmlrpc.client

import pytest
import requests

from crm_assets_tests.sources.odoo.conftest import PASSWORD, TOKEN

COUNT = {"model": "res.partner", "method": "search_count", "args": [[]], "kwargs": {}}


def rpc(session: requests.Session, url: str, path: str, params: dict) -> dict:
    body = {"jsonrpc": "2.0", "method": "call", "params": params, "id": 7}
    answer = session.post(f"{url}{path}", json=body, timeout=10)
    assert answer.status_code == 200 and answer.json()["id"] == 7
    return answer.json()


def login(served, password: str = PASSWORD) -> tuple[requests.Session, dict]:
    session = requests.Session()
    reply = rpc(session, served.url, "/web/session/authenticate",
                {"db": "mutual", "login": "admin", "password": password})  # fmt: skip
    return session, reply


def test_authenticate_opens_a_session_with_a_cookie(served):
    session, reply = login(served)
    info = reply["result"]
    assert info["uid"] == 2 and info["db"] == "mutual" and info["username"] == "admin"
    assert info["name"] == "Administrator"
    assert info["server_version_info"][:2] == [served.version, 0]
    assert info["user_context"] == {"lang": "pt_BR", "tz": "America/Sao_Paulo", "uid": 2}
    cookie = next(c for c in session.cookies if c.name == "session_id")
    assert cookie.path == "/" and cookie.has_nonstandard_attr("HttpOnly")
    assert rpc(session, served.url, "/web/session/get_session_info", {})["result"]["uid"] == 2
    assert "result" not in rpc(session, served.url, "/web/session/check", {})


@pytest.mark.parametrize(
    "params, name, message",
    [
        ({"db": "mutual", "login": "admin", "password": TOKEN}, "odoo.exceptions.AccessDenied",
         "Access Denied"),  # a web login is interactive: no API key
        ({"db": "mutual", "login": "admin", "password": "wrong"}, "odoo.exceptions.AccessDenied",
         "Access Denied"),
        ({"db": "other", "login": "admin", "password": PASSWORD}, "odoo.exceptions.AccessError",
         "Database not found."),
        ({"login": "admin", "password": PASSWORD}, "builtins.TypeError", None),
    ],
)  # fmt: skip
def test_authenticate_refuses_as_odoo_does(served, params, name, message):
    session = requests.Session()
    error = rpc(session, served.url, "/web/session/authenticate", params)["error"]
    assert (error["code"], error["message"]) == (200, "Odoo Server Error")
    assert error["data"]["name"] == name
    assert message is None or error["data"]["message"] == message
    assert not session.cookies


def test_call_kw_without_a_session_has_expired(served):
    error = rpc(requests.Session(), served.url, "/web/dataset/call_kw", COUNT)["error"]
    assert (error["code"], error["message"]) == (100, "Odoo Session Expired")
    assert error["data"]["name"] == "odoo.http.SessionExpiredException"
    assert error["data"]["message"] == "Session expired"
    stale = requests.Session()
    stale.cookies.set("session_id", "no-such-session")
    assert rpc(stale, served.url, "/web/dataset/call_kw", COUNT)["error"]["code"] == 100


def test_call_kw_runs_model_methods_as_the_sessions_user(served):
    session, _ = login(served)
    live = [r for r in served.emulator.records("res.partner") if r["active"]]
    for path in ("/web/dataset/call_kw", "/web/dataset/call_kw/res.partner/search_count"):
        assert rpc(session, served.url, path, COUNT)["result"] == len(live)
    rows = rpc(session, served.url, "/web/dataset/call_kw", {
        "model": "mut.policy", "method": "search_read", "args": [[["id", "<=", 2]]],
        "kwargs": {"fields": ["equotation_id"], "context": {"active_test": False}}})["result"]  # fmt: skip
    assert [r["id"] for r in rows] == [1, 2] and rows[0]["equotation_id"][1].startswith("PROP/")
    created = rpc(session, served.url, "/web/dataset/call_kw", {
        "model": "res.partner", "method": "create", "args": [{"name": "Via Web"}],
        "kwargs": {}})["result"]  # fmt: skip
    assert isinstance(created, int)  # one dict in, one id out
    rpc(session, served.url, "/web/dataset/call_kw", {
        "model": "res.partner", "method": "unlink", "args": [[created]], "kwargs": {}})  # fmt: skip


@pytest.mark.parametrize(
    "params, name",
    [
        ({**COUNT, "model": "crm.lead"}, "builtins.KeyError"),
        ({**COUNT, "method": "name_get"}, "builtins.AttributeError"),
        ({**COUNT, "method": "_search"}, "odoo.exceptions.AccessError"),
        ({"model": "res.partner", "method": "search_count", "args": [[]]}, "builtins.TypeError"),
    ],
)
def test_call_kw_errors_name_odoos_exceptions(served, params, name):
    session, _ = login(served)
    error = rpc(session, served.url, "/web/dataset/call_kw", params)["error"]
    assert error["code"] == 200 and error["data"]["name"] == name


def test_destroy_ends_the_session(served):
    session, _ = login(served)
    assert "result" not in rpc(session, served.url, "/web/session/destroy", {})
    assert rpc(session, served.url, "/web/dataset/call_kw", COUNT)["error"]["code"] == 100


def test_historical_xmlrpc_route_answers_faults_with_string_codes(served):
    common = xmlrpc.client.ServerProxy(f"{served.url}/xmlrpc/common")
    assert common.login("mutual", "admin", TOKEN) == 2
    models = xmlrpc.client.ServerProxy(f"{served.url}/xmlrpc/object")
    assert models.execute_kw("mutual", 2, TOKEN, "res.partner", "search", [[["id", "<", 3]]]) == [
        1, 2]  # fmt: skip
    with pytest.raises(xmlrpc.client.Fault) as missing:
        models.execute_kw("mutual", 2, TOKEN, "res.partner", "read", [[999999]])
    assert missing.value.faultCode.startswith("warning -- MissingError\n\nRecord does not exist")
    with pytest.raises(xmlrpc.client.Fault) as private:
        models.execute_kw("mutual", 2, TOKEN, "res.partner", "_search", [[]])
    assert private.value.faultCode.startswith("warning -- AccessError\n\nPrivate methods")
    assert requests.post(f"{served.url}/xmlrpc/3/object", timeout=10).status_code == 404


def doc(served, model: str, **headers) -> requests.Response:
    headers = {"Authorization": f"Bearer {TOKEN}", **headers}
    return requests.get(f"{served.url}/doc-bearer/{model}.json", headers=headers, timeout=10)


def test_doc_bearer_describes_a_model_as_19s_api_doc_does(served):
    if served.version < 19:
        assert doc(served, "res.partner").status_code == 404
        return
    answer = doc(served, "res.partner")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    assert answer.headers["Cache-Control"] == "no-cache, private"
    body = answer.json()
    fields, methods = body.pop("fields"), body.pop("methods")
    assert body == {"model": "res.partner", "name": "Contact", "doc": None}
    assert fields["id"]["name"] == "id" and fields["id"]["module"] is None
    assert fields["city"] == {"type": "char", "string": "City", "store": True,
                              "required": False, "help": "", "name": "city",
                              "module": "base"}  # fmt: skip
    assert methods["search"] == {
        "signature": "(domain, offset=0, limit=None, order=None) -> list[int]",
        "parameters": {"domain": {"annotation": "DomainType"},
                       "offset": {"default": 0, "annotation": "int"},
                       "limit": {"default": None, "annotation": "int | None"},
                       "order": {"default": None, "annotation": "str | None"}},
        "return": {"annotation": "list[int]"},
        "api": ["model", "readonly"],
        "model": "core",
        "module": "core",
    }  # fmt: skip
    assert list(methods["read"]["parameters"]) == ["fields", "load"]
    assert "api" not in methods["write"] and "read_group" not in methods
    assert "context_get" not in methods and "context_get" in doc(served, "res.users").json()[
        "methods"]  # fmt: skip
    again = doc(served, "res.partner", **{"If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304 and not again.content


def test_doc_bearer_refuses_as_a_json2_route(served):
    missing = requests.get(f"{served.url}/doc-bearer/res.partner.json", timeout=10)
    if served.version < 19:  # no such route: no authentication asked for either
        assert missing.status_code == 404 and "html" in missing.headers["Content-Type"]
        return
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == "bearer"
    wrong = doc(served, "res.partner", Authorization="Bearer nope")
    assert wrong.status_code == 401 and wrong.json()["name"] == "werkzeug.exceptions.Unauthorized"
    unknown = doc(served, "crm.lead")
    assert unknown.status_code == 404 and unknown.json()["name"] == "werkzeug.exceptions.NotFound"
