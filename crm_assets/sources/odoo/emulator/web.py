"""The web client's session routes, which scripts and MCP servers use as an API.

Odoo's `addons/web/controllers/session.py` and `dataset.py`, JSON-RPC routes taking
`params` by name:
- `/web/session/authenticate` (`db`, `login`, `password`) opens a session and sets
  the `session_id` cookie; it answers the session's description (`session_info`).
  A web login is interactive, so the user's password is needed: an API key is
  refused (Odoo accepts keys only on the non-interactive RPC routes).
- `/web/session/get_session_info`, `/web/session/check`, `/web/session/destroy`;
- `/web/dataset/call_kw` and `/web/dataset/call_kw/<anything>` (`model`, `method`,
  `args`, `kwargs`): a model method run as the session's user.
Routes that need a user answer "Odoo Session Expired" (`SessionExpiredException`)
without a valid session cookie.
"""

from __future__ import annotations

import inspect
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from crm_assets.sources.odoo.emulator.legacy import SESSION_EXPIRED, access_denied, json_route
from crm_assets.sources.odoo.emulator.orm import CALL_KW, OdooError

if TYPE_CHECKING:
    from crm_assets.sources.odoo.emulator.app import OdooEmulator

COOKIE = "session_id"
# `sessions.max_inactivity_seconds`' default: a week.
MAX_INACTIVITY = 7 * 24 * 3600
ROUTES = ("/web/session/authenticate", "/web/session/get_session_info", "/web/session/check",
          "/web/session/destroy", "/web/dataset/call_kw")  # fmt: skip


@dataclass
class Session:
    db: str
    uid: int
    login: str
    context: dict[str, Any] = field(default_factory=dict)


def is_web_route(path: str) -> bool:
    return path in ROUTES or path.startswith("/web/dataset/call_kw/")


def serve(emulator: OdooEmulator, request: Request) -> Response:
    """Answer one of `ROUTES` (a JSON-RPC route) for `request`, under the emulator's lock."""
    path = request.path
    sid = request.cookies.get(COOKIE)
    session = emulator.sessions.get(sid) if sid else None
    opened: list[str] = []

    def authenticate(db, login, password, base_location=None):
        if db not in emulator.databases:
            raise OdooError("odoo.exceptions.AccessError", "Database not found.", 403)
        if not emulator.checks_password(login, password):
            raise access_denied()
        new = Session(db, emulator.uid, login, emulator.orm.m_context_get("res.users"))
        new_sid = secrets.token_urlsafe(63)
        emulator.sessions[new_sid] = new
        emulator.logins += 1
        opened.append(new_sid)
        return session_info(emulator, new)

    def get_session_info():
        return session_info(emulator, _user(session))

    def check():
        _user(session)

    def destroy():
        _user(session)
        emulator.sessions.pop(sid, None)

    def call_kw(model, method, args, kwargs, path=None):
        _user(session)
        return emulator.orm.call(model, method, list(args), dict(kwargs or {}), dialect=CALL_KW)

    handlers: dict[str, Callable[..., Any]] = {
        "/web/session/authenticate": authenticate,
        "/web/session/get_session_info": get_session_info,
        "/web/session/check": check,
        "/web/session/destroy": destroy,
    }
    handler = handlers.get(path, call_kw)
    response = json_route(request, lambda params: _call(handler, params))
    if opened:
        response.set_cookie(COOKIE, opened[0], max_age=MAX_INACTIVITY, httponly=True)
    return response


def session_info(emulator: OdooEmulator, session: Session) -> dict[str, Any]:
    """What `ir.http.session_info()` says of the session's user (its main keys)."""
    version = emulator.common("version", [])
    orm = emulator.orm
    company = orm.tables["res.company"][1]
    return {
        "uid": session.uid,
        "is_system": True,
        "is_admin": True,
        "is_public": False,
        "is_internal_user": True,
        "user_context": dict(session.context),
        "db": session.db,
        "server_version": version["server_version"],
        "server_version_info": version["server_version_info"],
        "support_url": "https://www.odoo.com/buy",
        "name": orm.display("res.users", session.uid),
        "username": session.login,
        "web.base.url": "",
        "active_ids_limit": 20000,
        "max_file_upload_size": 128 * 1024 * 1024,
        "home_action_id": False,
        "currencies": {
            str(r["id"]): {
                "symbol": "R$" if r["name"] == "BRL" else "$",
                "position": "before",
                "digits": [69, 2],
            }
            for r in orm.tables["res.currency"].values()
        },  # fmt: skip
        "user_companies": {
            "current_company": company["id"],
            "allowed_companies": {
                str(company["id"]): {
                    "id": company["id"],
                    "name": company["name"],
                    "sequence": 10,
                    "child_ids": [],
                    "parent_id": False,
                    "currency_id": 1,
                },
            },  # fmt: skip
            "disallowed_ancestor_companies": {},
        },
        "show_effect": True,
    }


def _user(session: Session | None) -> Session:
    if session is None:
        raise OdooError(SESSION_EXPIRED, "Session expired", 401)
    return session


def _call(handler: Callable[..., Any], params: dict) -> Any:
    """`handler` with the params its signature names (Odoo drops the others)."""
    signature = inspect.signature(handler)
    try:
        bound = signature.bind(**{k: v for k, v in params.items() if k in signature.parameters})
    except TypeError as exc:
        raise OdooError("builtins.TypeError", f"{handler.__name__}() {exc}", 500) from None
    return handler(*bound.args, **bound.kwargs)
