"""An Odoo emulator: a WSGI app that answers like an Odoo server's external APIs.

Faithful to the protocols as docs/odoo-api.md describes them, for Odoo 17, 18 and 19:
- `GET /web/version` and `/json/version` (no auth) on 19, which 17 and 18 lack
  (a 404 page); the JSON route `/web/webclient/version_info` on every version;
- JSON-2 on version 19 (`POST /json/2/{model}/{method}`, `Authorization: bearer`,
  arguments by name, the bare result; errors as `{name, message, arguments, context,
  debug}` with 401, 403, 404, 422 or 500, a 415 page for a body that is not JSON and a
  404 page when several databases exist and `X-Odoo-Database` names none), and
  `GET /doc-bearer/<model>.json` (apidoc.py); on 17 and 18 neither exists (404);
- JSON-RPC (`/jsonrpc`) and XML-RPC (`/xmlrpc/2/<service>`, and the historical
  `/xmlrpc/<service>` with string fault codes) on every version, authenticating a
  login with its password or an API key;
- the web client's session routes (web.py): `/web/session/authenticate` with the
  password, then `/web/dataset/call_kw` as the session's user;
- `false` for every empty value, many2one as `[id, display_name]`, archived records
  hidden unless the context says `active_test: false`, hard deletes; `create`,
  `write` and `unlink` change the data as a user's edits do.

Data: `DEFAULT_SIZES` partners, quotations and payments (policies, certificates and
coverages follow from the quotations), times `scale`, with `sizes` overriding any count.
Admin methods (`create`, `delete`, `touch`, `add_field`, `refuse_fields_get`) change
the data the way a user of the server would, for tests and the demo; `calls` lists the
model methods served, with their arguments, whichever protocol carried them.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from crm_assets.core.emulation import EmulatorApp
from crm_assets.sources.odoo.emulator import web
from crm_assets.sources.odoo.emulator.apidoc import etag, model_document
from crm_assets.sources.odoo.emulator.data import DEFAULT_SIZES, FMT, Generator, new_record
from crm_assets.sources.odoo.emulator.fields import MODELS
from crm_assets.sources.odoo.emulator.legacy import (
    access_denied,
    json_reply,
    json_route,
    jsonrpc,
    xmlrpc,
)
from crm_assets.sources.odoo.emulator.orm import EXECUTE, Call, OdooError, Orm

LOGIN, UID = "admin", 2
VERSIONS = (17, 18, 19)
# `db` service methods that need the server's master password, which no client of
# the emulated server has: Odoo answers AccessDenied for a wrong one.
DB_MANAGEMENT = {"create_database", "duplicate_database", "drop", "dump", "restore",
                 "rename", "change_admin_password", "migrate_databases"}  # fmt: skip
_NOT_FOUND = (
    "<!doctype html>\n<html lang=en><title>404 Not Found</title>\n<h1>Not Found</h1>\n"
    "<p>The requested URL was not found on the server.</p>\n"
)


class OdooEmulator(EmulatorApp):
    def __init__(
        self,
        *,
        token: str = "odoo-demo-api-key",
        password: str = "odoo-demo-password",
        version: int = 19,
        databases: tuple[str, ...] = ("mutual",),
        login: str = LOGIN,
        anchor: date | None = None,
        sizes: dict[str, int] | None = None,
        scale: float = 1.0,
        seed: int = 7,
        latency: float = 0.0,
    ):
        super().__init__(latency=latency)
        if version not in VERSIONS:
            raise ValueError(f"version must be one of {VERSIONS}, not {version}")
        self.token, self.password = token, password
        self.version, self.databases, self.uid = version, tuple(databases), UID
        # The user the API key and the password belong to: the server's one user.
        self.login = login
        self.anchor = anchor or datetime.now(UTC).date()
        fields = {model: {k: dict(v) for k, v in spec.items()} for model, spec in MODELS.items()}
        scaled = {model: max(1, int(count * scale)) for model, count in DEFAULT_SIZES.items()}
        tables = Generator(self.anchor, {**scaled, **(sizes or {})}, seed).build()
        self.orm = Orm(tables, fields, version, UID)
        # Logins answered (`common.login`/`authenticate`, `/web/session/authenticate`).
        self.logins = 0
        # Web sessions by their `session_id` cookie.
        self.sessions: dict[str, web.Session] = {}

    # -- admin ----------------------------------------------------------------------

    def records(self, model: str) -> list[dict[str, Any]]:
        """Every stored record of `model` as the server holds it (a copy)."""
        with self.lock:
            return [dict(r) for r in self.orm.tables[model].values()]

    def fields(self, model: str) -> dict[str, dict[str, Any]]:
        with self.lock:
            return {k: dict(v) for k, v in self.orm.fields[model].items()}

    @property
    def calls(self) -> list[Call]:
        """The model methods served since the log was reset, in order, with their arguments."""
        with self.lock:
            return list(self.orm.calls)

    def reset_log(self) -> None:
        with self.lock:
            super().reset_log()
            self.orm.calls.clear()

    def create(self, model: str, when: datetime, **values: Any) -> int:
        """A record a user creates at `when` (UTC), with the next id of the model's
        sequence (never one a deleted record had); returns its id."""
        with self.lock:
            record_id = self.orm.next_id(model)
            fields = self.orm.fields[model]
            record = new_record(model, record_id, fields, values, when, when, UID)
            self.orm.tables[model][record_id] = record
            self.orm.changed()
            return record_id

    def delete(self, model: str, record_id: int) -> None:
        """A hard delete: the row is gone, with no trace left (Odoo's `unlink`)."""
        with self.lock:
            del self.orm.tables[model][record_id]
            self.orm.changed()

    def touch(self, model: str, record_id: int, when: datetime, **values: Any) -> None:
        """Write `values` to a record at `when` (UTC), as a user's edit would."""
        with self.lock:
            record = self.orm.tables[model][record_id]
            record.update(values, write_date=when.strftime(FMT))
            self.orm.changed()

    def add_field(self, model: str, name: str, kind: str, label: str, value: Any) -> None:
        """A field a module adds later (a stored field with `value` on every record)."""
        with self.lock:
            spec = {"type": kind, "string": label, "store": True, "required": False, "help": ""}
            self.orm.fields[model][name] = spec
            for record in self.orm.tables[model].values():
                record[name] = value
            self.orm.changed()

    def refuse_fields_get(self, model: str) -> None:
        with self.lock:
            self.orm.fields_get_refused.add(model)

    # -- routing --------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        path = request.path
        if path in ("/web/version", "/json/version") and self.version >= 19:
            return json_reply({"version_info": self._version_info(), "version": self._name()})
        if path.startswith("/doc-bearer/") and path.endswith(".json") and self.version >= 19:
            return self._doc(request, path.removeprefix("/doc-bearer/").removesuffix(".json"))
        if request.method != "POST":
            return Response(_NOT_FOUND, status=404 if path != "/jsonrpc" else 405,
                            content_type="text/html; charset=utf-8")  # fmt: skip
        if path.startswith("/json/2/") and self.version >= 19:
            return self._json2(request, path.removeprefix("/json/2/"))
        if path == "/jsonrpc":
            return jsonrpc(request, self._service)
        if path == "/web/webclient/version_info":
            return json_route(request, lambda _: self.common("version", []))
        if web.is_web_route(path):
            return web.serve(self, request)
        route = _xmlrpc_route(path)
        if route is not None:
            return xmlrpc(request, self._service, route[0], string_faults=route[1])
        return Response(_NOT_FOUND, status=404, content_type="text/html; charset=utf-8")

    def checks_password(self, login: Any, password: Any) -> bool:
        """Whether `password` is the user's password (an interactive login: no API key)."""
        return login == self.login and password == self.password

    def _version_info(self) -> list:
        return [self.version, 0, 0, "final", 0, ""]

    def _name(self) -> str:
        return f"{self.version}.0"

    # -- JSON-2 ---------------------------------------------------------------------

    def _json2(self, request: Request, route: str) -> Response:
        if request.mimetype != "application/json":
            return Response("<h1>Unsupported Media Type</h1>", status=415,
                            content_type="text/html; charset=utf-8")  # fmt: skip
        refused = self._bearer(request)
        if refused is not None:
            return refused
        model, _, method = route.rpartition("/")
        try:
            body = json.loads(request.get_data() or b"{}")
            if not isinstance(body, dict):
                raise ValueError("not an object")
        except ValueError:
            return _json2_error(OdooError("werkzeug.exceptions.BadRequest", "Invalid JSON", 400))
        ids = body.pop("ids", None)
        try:
            return json_reply(self.orm.call(model, method, [], body, ids=ids))
        except OdooError as exc:
            return _json2_error(exc)

    def _doc(self, request: Request, model: str) -> Response:
        """`/doc-bearer/<model>.json`: a `json2` route, so JSON-2's authentication and errors."""
        refused = self._bearer(request)
        if refused is not None:
            return refused
        if model not in self.orm.tables:
            message = "404 Not Found: The requested URL was not found on the server."
            return _json2_error(OdooError("werkzeug.exceptions.NotFound", message, 404))
        tag = etag(model, self.version)
        headers = {"ETag": tag, "Cache-Control": "no-cache, private", "Content-Language": "pt-BR"}
        if request.headers.get("If-None-Match", "").strip('"') == tag:
            return Response(status=304, headers=headers)
        response = json_reply(model_document(self.orm, model))
        response.headers.update(headers)
        response.content_type = "application/json; charset=utf-8"
        return response

    def _bearer(self, request: Request) -> Response | None:
        """JSON-2's answer to a request whose key or database is refused, else None."""
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not key:
            error = OdooError("werkzeug.exceptions.Unauthorized", "Missing apikey", 401)
            response = _json2_error(error)
            response.headers["WWW-Authenticate"] = "bearer"
            return response
        database = request.headers.get("X-Odoo-Database")
        if database is None and len(self.databases) > 1:
            return Response(_NOT_FOUND, status=404, content_type="text/html; charset=utf-8")
        if (database is not None and database not in self.databases) or key != self.token:
            return _json2_error(
                OdooError("werkzeug.exceptions.Unauthorized", "Invalid apikey", 401)
            )
        return None

    # -- legacy services --------------------------------------------------------------

    def _service(self, service: str, method: str, args: list) -> Any:
        if service == "common":
            return self.common(method, args)
        if service == "db":
            return self._db(method, args)
        if service == "object" and method in ("execute_kw", "execute"):
            return self._execute(method, args)
        raise OdooError("builtins.NameError", f"Method not available {method}", 500)

    def common(self, method: str, args: list) -> Any:
        """The `common` service: `version`, `login`, `authenticate`, `about`."""
        if method == "version":
            return {"server_version": self._name(), "server_version_info": self._version_info(),
                    "server_serie": self._name(), "protocol_version": 1}  # fmt: skip
        if method in ("login", "authenticate"):
            with self.lock:
                self.logins += 1
            database, login, password = (args + [None, None, None])[:3]
            self._check_database(database)
            known = login == self.login and password in (self.token, self.password)
            return UID if known else False
        if method == "about":
            return "See http://openerp.com"
        raise OdooError("builtins.NameError", f"Method not available {method}", 500)

    def _db(self, method: str, args: list) -> Any:
        if method == "list":
            return list(self.databases)
        if method == "db_exist":
            return bool(args) and args[0] in self.databases
        if method == "server_version":
            return self._name()
        if method in DB_MANAGEMENT:
            raise access_denied()
        raise OdooError("builtins.NameError", f"Method not available {method}", 500)

    def _execute(self, method: str, args: list) -> Any:
        if len(args) < 5:
            raise OdooError("builtins.TypeError", f"{method}() missing arguments", 500)
        database, uid, password, model, name, *rest = args
        self._check_database(database)
        if uid != UID or password not in (self.token, self.password):
            raise access_denied()
        if method == "execute":
            positional, keywords = rest, {}
        else:
            positional = rest[0] if rest else []
            keywords = rest[1] if len(rest) > 1 else {}
        return self.orm.call(model, name, list(positional), dict(keywords or {}), dialect=EXECUTE)

    def _check_database(self, database: Any) -> None:
        if database not in self.databases:
            raise OdooError(
                "psycopg2.OperationalError",
                f'connection to server failed: FATAL:  database "{database}" does not exist',
                500,
            )


def _xmlrpc_route(path: str) -> tuple[str, bool] | None:
    """(service, whether faults have string codes) for `/xmlrpc/2/<service>` and the
    historical `/xmlrpc/<service>`; None for any other path."""
    parts = path.removeprefix("/xmlrpc/").split("/") if path.startswith("/xmlrpc/") else []
    if len(parts) == 1:
        return parts[0], True
    if len(parts) == 2 and parts[0] == "2":
        return parts[1], False
    return None


def _json2_error(exc: OdooError) -> Response:
    body = {"name": exc.name, "message": exc.message, "arguments": [exc.message],
            "context": {}, "debug": f"Traceback (most recent call last):\n{exc.name}: "
            f"{exc.message}\n"}  # fmt: skip
    return json_reply(body, status=exc.status)
