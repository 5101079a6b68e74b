"""OdooResource: server URL, API key, database and login, and the client streams use;
Odoo's error answers as errors naming what to fix."""

from __future__ import annotations

from typing import Any, ClassVar

import requests
from dagster import Failure, InitResourceContext
from pydantic import Field

from crm_assets.core.http import (
    ApiClient,
    ApiError,
    AuthenticationError,
    ClientConfig,
    Credential,
    FatalApiError,
)
from crm_assets.core.redaction import Redactor
from crm_assets.core.runtime.resource import SourceResource

URL_VARIABLE = "ODOO_URL"
DATABASE_VARIABLE = "ODOO_DATABASE"
LOGIN_VARIABLE = "ODOO_LOGIN"
PROTOCOLS = ("auto", "json2", "jsonrpc")
KEY_HELP = (
    "Check ODOO_API_KEY: keys are made under Preferences > Account Security and last at "
    "most three months."
)


class OdooResource(SourceResource):
    """Odoo. API keys are made under Preferences > Account Security > New API Key."""

    SOURCE: ClassVar[str] = "odoo"
    TITLE: ClassVar[str] = "Odoo"
    SECRET_FIELD: ClassVar[str] = "api_key"
    SECRET_VARIABLE: ClassVar[str] = "ODOO_API_KEY"
    START_DATE_VARIABLE: ClassVar[str] = "ODOO_START_DATE"
    ENV_FIELDS: ClassVar[dict[str, str]] = {
        "base_url": URL_VARIABLE, "database": DATABASE_VARIABLE, "login": LOGIN_VARIABLE,
    }  # fmt: skip

    api_key: str | None = Field(default=None, description="From ODOO_API_KEY.")
    base_url: str = Field(default="", description="The server's root URL (ODOO_URL).")
    database: str = Field(
        default="",
        description="Needed only when the server hosts several databases (ODOO_DATABASE).",
    )
    login: str = Field(
        default="",
        description="The API key's user login, needed by servers before 19 (ODOO_LOGIN).",
    )
    protocol: str = Field(
        default="auto",
        description="auto (JSON-2 from version 19, JSON-RPC before), json2 or jsonrpc.",
    )
    page_size: int = Field(default=500, description="Records per search_read call.")
    table_prefix: str = "odoo_"
    requests_per_second: float = 10.0

    def setup_for_execution(self, context: InitResourceContext) -> None:
        super().setup_for_execution(context)
        if not self.is_demo:
            self.require("base_url")
        if self.protocol not in PROTOCOLS:
            raise Failure(f"Odoo: protocol is {self.protocol!r}; use one of {PROTOCOLS}.")

    def client(self, logger: Any = None) -> ApiClient:
        client = super().client(logger)
        if self.database:
            # Picks the database on a server hosting several (ignored when there is one).
            client.session.headers["X-Odoo-Database"] = self.database
        return client

    def client_config(self) -> ClientConfig:
        return ClientConfig(
            source=self.SOURCE,
            base_url=self.base_url.rstrip("/") + "/",
            credential=Credential(self.secret(), header="Authorization", header_prefix="bearer "),
            rate_limit=self.rate_limit(),
            retry=self.retry_policy(),
            timeout=self.timeout_seconds,
            page_size=self.page_size,
            classify_error=classify_error,
            options={"database": self.database, "login": self.login, "protocol": self.protocol},
        )

    def build_emulator(self) -> Any:
        from crm_assets.sources.odoo.emulator import OdooEmulator

        return OdooEmulator(seed=self.demo_seed(7))


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
    # JSON-2 answers KeyError (model) or NotFound (method); `execute_kw` a UserError
    # "Object x doesn't exist" (model) or an AttributeError (method).
    missing = name.endswith(("UserError", "AttributeError")) and "exist" in message
    if name.endswith(("KeyError", "NotFound")) or missing:
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
