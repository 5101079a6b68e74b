"""The models' settings: what they count, and the currency of connections that do not say.

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
            "The currency of deal values for a connection whose records do not state it: "
            "NectarCRM's (default BRL), and Kommo's until its account (which states it) is "
            "synced. Keyed by connection name, else by source name for every connection of "
            f"the source: {CURRENCY_VARIABLE}='nectarcrm=USD,nectarcrm_br=BRL,kommo=BRL'."
        ),
    )

    @classmethod
    def from_env(cls) -> ModelSettings:
        currencies = dict(DEFAULT_CURRENCIES)
        for item in os.getenv(CURRENCY_VARIABLE, "").split(","):
            name, _, code = item.partition("=")
            if name.strip() and code.strip():
                currencies[name.strip()] = code.strip().upper()
        archived = os.getenv(ARCHIVED_VARIABLE, "").strip().lower() in {"1", "true", "yes"}
        return cls(include_archived=archived, currencies=currencies)

    def currency(self, connection: str, source: str) -> str | None:
        """A connection's currency: its own setting, else its source's, so one setting
        covers every account of a source that no setting names."""
        if connection in self.currencies:
            return self.currencies[connection]
        return self.currencies.get(source)

    def currency_parameters(self, connections: list[tuple[str, str]]) -> dict[str, str | None]:
        """`currency_<connection>` bind parameters for the models' SQL, from (connection,
        source) pairs."""
        return {f"currency_{name}": self.currency(name, source) for name, source in connections}
