"""OdooResource: server URL, API key, database and login, and the client streams use."""

from __future__ import annotations

from typing import Any, ClassVar

from dagster import Failure, InitResourceContext
from pydantic import Field

from crm_assets.core.http import ApiClient, ClientConfig, Credential
from crm_assets.core.runtime.resource import SourceResource
from crm_assets.core.sync.workers import Concurrency
from crm_assets.sources.odoo.client import classify_error

URL_VARIABLE = "ODOO_URL"
DATABASE_VARIABLE = "ODOO_DATABASE"
LOGIN_VARIABLE = "ODOO_LOGIN"
PROTOCOLS = ("auto", "json2", "jsonrpc")


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

    def client(self, logger: Any = None, concurrency: Concurrency | None = None) -> ApiClient:
        client = super().client(logger, concurrency)
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
