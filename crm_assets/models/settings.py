"""The models' settings: what they count, and the currency of sources that do not say.

Bound from the environment when definitions load, so schedules and automation
use the same settings as a launch from the UI; run config may change either for
one run (`resources: {model_settings: {config: ...}}`).
"""

from __future__ import annotations

import os

from dagster import ConfigurableResource
from pydantic import Field

SETTINGS_KEY = "model_settings"
ARCHIVED_VARIABLE = "CRM_MODELS_INCLUDE_ARCHIVED"
CURRENCY_VARIABLE = "CRM_MODELS_CURRENCIES"

# NectarCRM's API states no currency for an opportunity's values; its accounts are
# Brazilian and price in reais unless set otherwise.
DEFAULT_CURRENCIES = {"nectarcrm": "BRL"}


class ModelSettings(ConfigurableResource):
    include_archived: bool = Field(
        default=False,
        description=(
            "Count what the CRMs hide from their users: archived deals (Pipedrive), deals "
            "of archived or inactive pipelines (Kommo, NectarCRM) and archived quotations "
            f"(Odoo). Off by default; {ARCHIVED_VARIABLE}=1 turns it on."
        ),
    )
    currencies: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_CURRENCIES),
        description=(
            "The currency of deal values for a source whose records do not state it, by "
            "source: NectarCRM (default BRL), and Kommo until its account (which states "
            f"it) is synced. {CURRENCY_VARIABLE}='nectarcrm=USD,kommo=BRL' sets them."
        ),
    )

    @classmethod
    def from_env(cls) -> ModelSettings:
        currencies = dict(DEFAULT_CURRENCIES)
        for item in os.getenv(CURRENCY_VARIABLE, "").split(","):
            source, _, code = item.partition("=")
            if source.strip() and code.strip():
                currencies[source.strip()] = code.strip().upper()
        archived = os.getenv(ARCHIVED_VARIABLE, "").strip().lower() in {"1", "true", "yes"}
        return cls(include_archived=archived, currencies=currencies)

    def currency_parameters(self, sources: list[str]) -> dict[str, str | None]:
        """`currency_<source>` bind parameters for the models' SQL."""
        return {f"currency_{s}": self.currencies.get(s) for s in sources}
