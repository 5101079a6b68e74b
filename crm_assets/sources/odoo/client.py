"""Calling model methods over JSON-2 (Odoo 19+) or JSON-RPC `execute_kw` (16 to 18).

Both take every argument by name (`execute_kw` passes keyword arguments through), so
callers write `transport.call("res.partner", "search_read", domain=..., fields=...)`
once for both. `GET /web/version` picks the transport unless the resource names one.
Both are read-only POSTs through the shared client, so they are retried like GETs.
Error answers of either kind become errors that say what to do
(https://www.odoo.com/documentation/19.0/developer/reference/external_api.html).
"""

from __future__ import annotations

import copy
import itertools
import threading
import weakref
from typing import Any

import requests

from crm_assets.core.http.client import ApiClient, ApiError, AuthenticationError, FatalApiError
from crm_assets.core.redaction import Redactor

KEY_HELP = (
    "Check ODOO_API_KEY: keys are made under Preferences > Account Security and last at "
    "most three months."
)
_transports: weakref.WeakKeyDictionary[ApiClient, Any] = weakref.WeakKeyDictionary()


def transport_for(client: ApiClient) -> Json2 | JsonRpc:
    """The client's transport, chosen (and for JSON-RPC, logged in) on first use.

    The choice and the login are made once per run: the branches of one client (a
    stream each) wait for the first to make them, then each sends on its own.
    """
    if client not in _transports:
        lock = client.shared.setdefault("odoo_transport_lock", threading.Lock())
        with lock:
            first = client.shared.get("odoo_transport")
            if first is None:
                first = client.shared["odoo_transport"] = _discover(client)
        _transports[client] = first.on(client)
    return _transports[client]


def _discover(client: ApiClient) -> Json2 | JsonRpc:
    protocol = client.config.options.get("protocol", "auto")
    if protocol == "auto":
        protocol = "json2" if server_version(client) >= 19 else "jsonrpc"
    return Json2(client) if protocol == "json2" else JsonRpc(client)


def server_version(client: ApiClient) -> int:
    """The server's major version: `GET /web/version`, else JSON-RPC `common.version`.

    The JSON-RPC call answers on every version that still serves JSON-RPC, so a server
    without the `/web/version` route is still identified.
    """
    try:
        info = client.get_json("web/version")
    except ApiError as exc:
        if exc.status != 404:
            raise
        body = {"jsonrpc": "2.0", "method": "call", "id": 0,
                "params": {"service": "common", "method": "version", "args": []}}  # fmt: skip
        reply = client.request_json("POST", "jsonrpc", json_body=body)
        info = {"version_info": (reply or {}).get("result", {}).get("server_version_info")}
    try:
        return int(info["version_info"][0])
    except (TypeError, KeyError, IndexError, ValueError):
        raise ApiError(f"Odoo: the server did not say its version ({str(info)[:100]!r}).") from None


class Json2:
    """`POST /json/2/{model}/{method}` with the arguments as a JSON object."""

    name = "JSON-2"

    def __init__(self, client: ApiClient):
        self.client = client

    def on(self, client: ApiClient) -> Json2:
        """The same transport, sending through `client` (a branch of this one's)."""
        return Json2(client)

    def call(self, model: str, method: str, **arguments: Any) -> Any:
        return self.client.request_json("POST", f"json/2/{model}/{method}", json_body=arguments)


class JsonRpc:
    """`POST /jsonrpc` `execute_kw`, after finding the database and the user's id."""

    name = "JSON-RPC"

    def __init__(self, client: ApiClient):
        self.client = client
        self._ids = itertools.count(1)
        self.secret = client.config.credential.secret
        options = client.config.options
        self.database = options.get("database") or self._only_database()
        login = options.get("login")
        if not login:
            raise FatalApiError(
                "Odoo: this server has no JSON-2 API (it is older than 19), so it is read over "
                "JSON-RPC, which logs in with a user name: set ODOO_LOGIN to the login of the "
                "API key's user."
            )
        self.uid = self._rpc("common", "authenticate", [self.database, login, self.secret, {}])
        if not self.uid:
            raise AuthenticationError(
                f"Odoo rejected login {login!r} with the API key on database "
                f"{self.database!r}. Check ODOO_LOGIN and ODOO_API_KEY. " + KEY_HELP
            )

    def on(self, client: ApiClient) -> JsonRpc:
        """The same login (database and user id), sending through `client` (a branch)."""
        twin = copy.copy(self)
        twin.client, twin._ids = client, itertools.count(1)
        return twin

    def call(self, model: str, method: str, **arguments: Any) -> Any:
        args = [self.database, self.uid, self.secret, model, method, [], arguments]
        return self._rpc("object", "execute_kw", args, model=model)

    def _only_database(self) -> str:
        # An error reply means Odoo will not list them (`list_db = False`); a failed
        # request (a 403 from a proxy, retries spent) is not about databases: it propagates.
        names = self._reply("db", "list", []).get("result")
        if isinstance(names, list) and len(names) == 1:
            return names[0]
        listed = f" ({', '.join(names)})" if isinstance(names, list) else ""
        raise FatalApiError(
            f"Odoo: the server hosts several databases{listed} or does not list them; set "
            "ODOO_DATABASE to the one to read."
        )

    def _rpc(self, service: str, method: str, args: list, model: str = "") -> Any:
        reply = self._reply(service, method, args)
        if "error" in reply:
            data = reply["error"].get("data") or {}
            raise rpc_error(str(data.get("name", "")), str(data.get("message", reply["error"])),
                            model, self.client.redactor)  # fmt: skip
        return reply["result"]

    def _reply(self, service: str, method: str, args: list) -> dict[str, Any]:
        """The JSON-RPC reply, `result` or `error`; a failed request raises the client's error."""
        body = {"jsonrpc": "2.0", "method": "call", "id": next(self._ids),
                "params": {"service": service, "method": method, "args": args}}  # fmt: skip
        reply = self.client.request_json("POST", "jsonrpc", json_body=body)
        if not isinstance(reply, dict) or ("result" not in reply and "error" not in reply):
            raise ApiError(f"Odoo: /jsonrpc answered {str(reply)[:100]!r}, not a JSON-RPC reply.")
        return reply


def rpc_error(name: str, message: str, model: str, redactor: Redactor) -> ApiError:
    """An Odoo exception (by its Python name) as a clear error; fatal when no call can work."""
    message = redactor.redact(message)[:300]
    where = f" on {model}" if model else ""
    if name.endswith("AccessDenied"):
        return AuthenticationError(f"Odoo denied access ({message!r}). " + KEY_HELP, status=401)
    if name.endswith("AccessError"):
        return ApiError(
            f"Odoo: the API key's user may not read{where} ({message!r}). Give the user a group "
            "with read access to this model, or leave the model out.",
            status=403,
        )
    if name.endswith("KeyError") or name.endswith("NotFound"):
        return ApiError(
            f"Odoo has no model or method{where} ({message!r}). Is the module that defines it "
            "installed? Check the model name in ODOO_MODELS.",
            status=404,
        )
    if "OperationalError" in name and "does not exist" in message:
        return FatalApiError(f"Odoo: {message!r}. Check ODOO_DATABASE.", status=404)
    return ApiError(f"Odoo refused the call{where}: {name}: {message!r}")


def classify_error(response: requests.Response, redactor: Redactor) -> ApiError | None:
    """JSON-2's error answers (`{name, message, ...}` with the HTTP status) as clear errors.

    A 500 naming a Python programming error (a bad domain field is
    `builtins.ValueError`) is the same on every try, so it is not retried.
    """
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or "name" not in body:
        if status == 404 and "/json/2/" in response.url:
            return FatalApiError(
                "Odoo answered 404 (an HTML page) for JSON-2: either the server hosts several "
                "databases and none is named (set ODOO_DATABASE), or it is older than 19 and "
                "has no JSON-2 (set the resource's protocol to auto or jsonrpc).",
                status=404,
            )
        return None
    name, message = str(body["name"]), str(body.get("message", ""))
    model = (
        response.url.split("/json/2/", 1)[-1].rsplit("/", 1)[0]
        if "/json/2/" in response.url
        else ""
    )
    if status == 401:
        return AuthenticationError(
            f"Odoo rejected the API key (HTTP 401 {redactor.redact(message)!r}). " + KEY_HELP,
            status=401,
        )
    if status in (403, 404, 422) or name.startswith("builtins."):
        error = rpc_error(name, message, model, redactor)
        error.status = status
        return error
    return None
