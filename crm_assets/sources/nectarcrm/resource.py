"""NectarCrmResource: the API token, the URL, and the client every stream uses."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from crm_assets.core.http import ClientConfig, Credential
from crm_assets.core.runtime.resource import SourceResource
from crm_assets.sources.nectarcrm.client import classify_error


class NectarCrmResource(SourceResource):
    """NectarCRM API v1. The token is under Settings > Integrations > Public Token."""

    SOURCE: ClassVar[str] = "nectarcrm"
    TITLE: ClassVar[str] = "NectarCRM"
    SECRET_VARIABLE: ClassVar[str] = "NECTARCRM_API_TOKEN"
    START_DATE_VARIABLE: ClassVar[str] = "NECTARCRM_START_DATE"
    DEMO_PATH: ClassVar[str] = "crm/api/1/"

    api_token: str | None = Field(default=None, description="From NECTARCRM_API_TOKEN.")
    base_url: str = "https://app.nectarcrm.com.br/crm/api/1/"
    table_prefix: str = "nectarcrm_"
    page_size: int = Field(
        default=200,
        description=(
            "Asked for with displayLength, up to each endpoint's documented maximum (200; "
            "100 for /publicacao); the API may serve fewer."
        ),
    )
    # No limit is documented; public clients pause about a second between calls.
    requests_per_second: float = 4.0

    def client_config(self) -> ClientConfig:
        return ClientConfig(
            source=self.SOURCE,
            base_url=self.base_url,
            # The API also takes ?api_token=, but a header keeps the token out of URLs.
            credential=Credential(self.secret(), header="Access-Token"),
            rate_limit=self.rate_limit(),
            retry=self.retry_policy(),
            timeout=self.timeout_seconds,
            page_size=self.page_size,
            classify_error=classify_error,
        )

    def build_emulator(self) -> Any:
        from crm_assets.sources.nectarcrm.emulator import NectarCrmEmulator

        return NectarCrmEmulator(seed=self.demo_seed(7))
