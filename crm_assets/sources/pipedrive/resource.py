"""PipedriveResource: token, company domain, rate budget, and the client streams use."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from crm_assets.core.http import ClientConfig, Credential, RateLimit
from crm_assets.core.runtime.resource import SourceResource
from crm_assets.sources.pipedrive.client import classify_error

DOMAIN_VARIABLE = "PIPEDRIVE_COMPANY_DOMAIN"


class PipedriveResource(SourceResource):
    """Pipedrive. The token is under Settings > Personal preferences > API."""

    SOURCE: ClassVar[str] = "pipedrive"
    TITLE: ClassVar[str] = "Pipedrive"
    SECRET_VARIABLE: ClassVar[str] = "PIPEDRIVE_API_TOKEN"
    START_DATE_VARIABLE: ClassVar[str] = "PIPEDRIVE_START_DATE"
    ENV_FIELDS: ClassVar[dict[str, str]] = {"company_domain": DOMAIN_VARIABLE}
    ACCOUNT_FIELD: ClassVar[str] = "company_domain"

    api_token: str | None = Field(default=None, description="From PIPEDRIVE_API_TOKEN.")
    company_domain: str | None = Field(
        default="", description="The `acme` of acme.pipedrive.com (PIPEDRIVE_COMPANY_DOMAIN)."
    )
    base_url: str = Field(
        default="", description="Overrides https://{company_domain}.pipedrive.com/ when set."
    )
    table_prefix: str = "pipedrive_"
    requests_per_window: int = Field(
        default=20,
        description="Burst budget per 2-second window: 20 is the lowest plan with an API token.",
    )
    # Every source's setting, shown in the launchpad like the others; Pipedrive counts its
    # budget per 2-second window instead, so the field says it is not used here.
    requests_per_second: float = Field(
        default=5.0, description="Not used by Pipedrive: set requests_per_window instead."
    )
    notes_update_window_days: int = Field(
        default=30, description="How long after its creation a note may still be edited."
    )

    def url(self) -> str:
        return self.base_url or f"https://{self.company_domain}.pipedrive.com/"

    def rate_limit(self) -> RateLimit:
        return RateLimit(self.requests_per_window, 2.0)

    def client_config(self) -> ClientConfig:
        return ClientConfig(
            source=self.SOURCE,
            base_url=self.url(),
            credential=Credential(self.secret(), header="x-api-token"),
            rate_limit=self.rate_limit(),
            retry=self.retry_policy(),
            timeout=self.timeout_seconds,
            page_size=500,
            classify_error=classify_error,
            options={"notes_update_window_days": self.notes_update_window_days},
            remaining_header="x-ratelimit-remaining",
            reset_header="x-ratelimit-reset",
            # The limiter paces the client to the plan's budget; the headers guard
            # against others spending the token's window. Pausing with one request
            # left would idle every thread for the whole-second reset of every window.
            remaining_floor=0,
        )

    def build_emulator(self) -> Any:
        from crm_assets.sources.pipedrive.emulator import PipedriveEmulator

        # Half the emulator's default account: a day's changes are still hundreds of
        # deals, and their histories, read one deal a request at the lowest plan's
        # budget, take half a minute rather than a minute and a half.
        return PipedriveEmulator(scale=DEMO_SCALE, seed=self.demo_seed(11))


DEMO_SCALE = 0.5
