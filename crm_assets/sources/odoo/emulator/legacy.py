"""Odoo's legacy external API: JSON-RPC (`/jsonrpc`) and XML-RPC (`/xmlrpc/2/*`).

Both carry the same services: `common` (`version`, `login`, `authenticate`),
`object` (`execute_kw`, `execute`) and `db` (`list`, `server_version`). Errors are
HTTP 200 either way: a JSON-RPC `error` object (`code` 200, message "Odoo Server
Error", `data` with the exception's name) or an XML-RPC fault (code 3 for access
denied, 2 for a warning, 1 otherwise), as Odoo's RPC dispatcher answers them
(https://www.odoo.com/documentation/17.0/developer/reference/external_api.html).
"""

from __future__ import annotations

import json
import xmlrpc.client as xmlrpclib
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from crm_assets.sources.odoo.emulator.orm import OdooError

Service = Callable[[str, str, list], Any]


def access_denied() -> OdooError:
    return OdooError("odoo.exceptions.AccessDenied", "Access Denied", 403)


def jsonrpc(request: Request, dispatch: Service, service: str | None = None) -> Response:
    """`/jsonrpc` (service named in params) or a `/web/...` JSON route (`service` given)."""
    try:
        payload = json.loads(request.get_data() or b"null")
        call_id, params = payload.get("id"), payload.get("params") or {}
    except (ValueError, AttributeError):
        return json_reply({"jsonrpc": "2.0", "id": None, "error": _error(
            OdooError("werkzeug.exceptions.BadRequest", "Invalid JSON data", 400))})  # fmt: skip
    try:
        if service is None:
            result = dispatch(params.get("service"), params.get("method"), params.get("args", []))
        else:
            result = dispatch(service, "", [params])
    except OdooError as exc:
        return json_reply({"jsonrpc": "2.0", "id": call_id, "error": _error(exc)})
    return json_reply({"jsonrpc": "2.0", "id": call_id, "result": result})


def xmlrpc(request: Request, dispatch: Service, service: str) -> Response:
    try:
        args, method = xmlrpclib.loads(request.get_data(), use_datetime=False)
        body = xmlrpclib.dumps((dispatch(service, method, list(args)),), methodresponse=True,
                                   allow_none=False)  # fmt: skip
    except OdooError as exc:
        code = 3 if exc.name == "odoo.exceptions.AccessDenied" else 1
        body = xmlrpclib.dumps(xmlrpclib.Fault(code, _traceback(exc)))
    except xmlrpclib.ResponseError as exc:
        body = xmlrpclib.dumps(xmlrpclib.Fault(1, f"Invalid request: {exc}"))
    return Response(body, content_type="text/xml; charset=utf-8")


def json_reply(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _error(exc: OdooError) -> dict[str, Any]:
    return {
        "code": 200,
        "message": "Odoo Server Error",
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
