"""Odoo's legacy external API: JSON-RPC (`/jsonrpc`) and XML-RPC (`/xmlrpc/2/*`, `/xmlrpc/*`).

Both carry the same services: `common` (`version`, `login`, `authenticate`),
`object` (`execute_kw`, `execute`) and `db` (`list`, `server_version`, ...). Errors
are HTTP 200 either way, as Odoo's RPC controller answers them
(`odoo/addons/base/controllers/rpc.py`, `addons/rpc` on 19):
- a JSON-RPC `error` object: `code` 200 and "Odoo Server Error", with `data` naming
  the exception; 100 and "Odoo Session Expired" for an expired web session, 404 and
  "404: Not Found" for a missing route;
- an XML-RPC fault at `/xmlrpc/2/`: code 4 for an access error (its message), 3 for
  access denied, 2 for a user error (a missing record included), else 1 with the
  traceback;
- an XML-RPC fault at `/xmlrpc/` (the historical route): the code is a string,
  `"warning -- AccessError\n\n<message>"` and alike, `"AccessDenied"`, or the message
  itself with the traceback as the fault string.
"""

from __future__ import annotations

import json
import xmlrpc.client as xmlrpclib
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from crm_assets.sources.odoo.emulator.orm import OdooError

Service = Callable[[str, str, list], Any]
# Exceptions Odoo counts as user errors (`odoo.exceptions.UserError` and subclasses).
USER_ERRORS = {"odoo.exceptions.UserError", "odoo.exceptions.MissingError",
               "odoo.exceptions.ValidationError", "odoo.exceptions.RedirectWarning"}  # fmt: skip
SESSION_EXPIRED = "odoo.http.SessionExpiredException"


def access_denied() -> OdooError:
    return OdooError("odoo.exceptions.AccessDenied", "Access Denied", 403)


def jsonrpc(request: Request, dispatch: Service) -> Response:
    """`/jsonrpc`: the service and method named in `params`, positional `args`."""
    return json_route(request, lambda params: dispatch(
        params.get("service"), params.get("method"), params.get("args", [])))  # fmt: skip


def json_route(request: Request, handler: Callable[[dict], Any]) -> Response:
    """A JSON-RPC route (`type='json'`): `params` by name in, `result` or `error` out.
    A `null` result leaves `result` out, as Odoo does."""
    try:
        payload = json.loads(request.get_data() or b"null")
        call_id, params = payload.get("id"), payload.get("params") or {}
    except (ValueError, AttributeError):
        return Response("Invalid JSON data", status=400, content_type="text/plain")
    try:
        result = handler(params)
    except OdooError as exc:
        return json_reply({"jsonrpc": "2.0", "id": call_id, "error": _error(exc)})
    reply = {"jsonrpc": "2.0", "id": call_id}
    if result is not None:
        reply["result"] = result
    return json_reply(reply)


def xmlrpc(request: Request, dispatch: Service, service: str, string_faults: bool) -> Response:
    try:
        args, method = xmlrpclib.loads(request.get_data(), use_datetime=False)
        body = xmlrpclib.dumps((dispatch(service, method, list(args)),), methodresponse=True,
                                   allow_none=False)  # fmt: skip
    except OdooError as exc:
        body = xmlrpclib.dumps(_string_fault(exc) if string_faults else _int_fault(exc))
    except xmlrpclib.ResponseError as exc:
        body = xmlrpclib.dumps(xmlrpclib.Fault(1, f"Invalid request: {exc}"))
    return Response(body, content_type="text/xml; charset=utf-8")


def _int_fault(exc: OdooError) -> xmlrpclib.Fault:
    if exc.name == "odoo.exceptions.AccessError":
        return xmlrpclib.Fault(4, exc.message)
    if exc.name == "odoo.exceptions.AccessDenied":
        return xmlrpclib.Fault(3, exc.message)
    if exc.name in USER_ERRORS:
        return xmlrpclib.Fault(2, exc.message)
    return xmlrpclib.Fault(1, _traceback(exc))


def _string_fault(exc: OdooError) -> xmlrpclib.Fault:
    short = exc.name.rsplit(".", 1)[1]
    if exc.name in ("odoo.exceptions.MissingError", "odoo.exceptions.AccessError"):
        return xmlrpclib.Fault(f"warning -- {short}\n\n{exc.message}", "")
    if exc.name == "odoo.exceptions.AccessDenied":
        return xmlrpclib.Fault("AccessDenied", exc.message)
    if exc.name in USER_ERRORS:
        return xmlrpclib.Fault(f"warning -- UserError\n\n{exc.message}", "")
    return xmlrpclib.Fault(exc.message, _traceback(exc))


def json_reply(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _error(exc: OdooError) -> dict[str, Any]:
    code, message = 200, "Odoo Server Error"
    if exc.name == SESSION_EXPIRED:
        code, message = 100, "Odoo Session Expired"
    elif exc.name == "werkzeug.exceptions.NotFound":
        code, message = 404, "404: Not Found"
    return {
        "code": code,
        "message": message,
        "data": {
            "name": exc.name,
            "debug": _traceback(exc),
            "message": exc.message,
            "arguments": [exc.message],
            "context": {},
        },
    }


def _traceback(exc: OdooError) -> str:
    return f"Traceback (most recent call last):\n  ...\n{exc.name}: {exc.message}\n"
