"""KommoResource: account subdomain, long-lived token, the 7 requests/second budget."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from crm_assets.core.http import ClientConfig, Credential, RateLimit
from crm_assets.core.runtime.resource import SourceResource
from crm_assets.sources.kommo.client import classify_error

SUBDOMAIN_VARIABLE = "KOMMO_SUBDOMAIN"
# https://developers.kommo.com/docs/limitations: no more than 7 requests per second.
REQUESTS_PER_SECOND = 7


class KommoResource(SourceResource):
    """Kommo (amoCRM). The token is a private integration's long-lived token."""

    SOURCE: ClassVar[str] = "kommo"
    TITLE: ClassVar[str] = "Kommo"
    SECRET_FIELD: ClassVar[str] = "access_token"
    SECRET_VARIABLE: ClassVar[str] = "KOMMO_ACCESS_TOKEN"
    START_DATE_VARIABLE: ClassVar[str] = "KOMMO_START_DATE"
    ENV_FIELDS: ClassVar[dict[str, str]] = {"subdomain": SUBDOMAIN_VARIABLE}
    ACCOUNT_FIELD: ClassVar[str] = "subdomain"
    DEMO_PATH: ClassVar[str] = "api/v4/"

    access_token: str | None = Field(default=None, description="From KOMMO_ACCESS_TOKEN.")
    subdomain: str = Field(
        default="", description="The `acme` of acme.kommo.com (KOMMO_SUBDOMAIN)."
    )
    base_url: str = Field(
        default="", description="Overrides https://{subdomain}.kommo.com/api/v4/ when set."
    )
    table_prefix: str = "kommo_"
    requests_per_second: float = Field(
        default=REQUESTS_PER_SECOND,
        description="Kommo allows 7 per second per account; more earns 429s, then a 403 block.",
    )

    def url(self) -> str:
        if self.base_url:
            return self.base_url.rstrip("/") + "/"
        return f"https://{self.subdomain}.kommo.com/api/v4/"

    def rate_limit(self) -> RateLimit:
        # One client per run, so this one limiter is shared by every stream of the run.
        return RateLimit.per_second(self.requests_per_second)

    def client_config(self) -> ClientConfig:
        return ClientConfig(
            source=self.SOURCE,
            base_url=self.url(),
            credential=Credential(self.secret(), header="Authorization", header_prefix="Bearer "),
            rate_limit=self.rate_limit(),
            retry=self.retry_policy(),
            timeout=self.timeout_seconds,
            page_size=250,
            classify_error=classify_error,
        )

    def build_emulator(self) -> Any:
        from crm_assets.sources.kommo.emulator import KommoEmulator

        return KommoEmulator()
