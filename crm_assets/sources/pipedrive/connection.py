"""`crm_assets.PipedriveConnection`: a Pipedrive account, declared in a `defs.yaml`."""

from __future__ import annotations

from pydantic import Field

from crm_assets.core.runtime.component import ConnectionComponent
from crm_assets.core.runtime.scaffold import scaffolded
from crm_assets.sources.pipedrive.streams import SOURCE


@scaffolded
class PipedriveConnection(ConnectionComponent):
    """A Pipedrive company account: deals, persons, organizations, activities and the
    rest, into tables `<name>_<stream>`. The token is under Settings > Personal
    preferences > API."""

    SOURCE = SOURCE

    api_token_env_var: str | None = Field(
        default=None, description="Variable holding the API token. Default: `<NAME>_API_TOKEN`."
    )
    company_domain: str | None = Field(
        default=None,
        description="The `acme` of acme.pipedrive.com. Default: the variable "
        "`company_domain_env_var` names.",
    )
    company_domain_env_var: str | None = Field(
        default=None,
        description="Variable holding the company domain. Default: `<NAME>_COMPANY_DOMAIN`.",
    )
    base_url: str | None = Field(
        default=None, description="Overrides https://{company_domain}.pipedrive.com/ when set."
    )
    requests_per_second: float | None = Field(
        default=None, description="Not used by Pipedrive: set requests_per_window instead."
    )
    requests_per_window: int | None = Field(
        default=None, description="Burst budget per 2-second window (20 on the lowest plan)."
    )
    notes_update_window_days: int | None = Field(
        default=None, description="How long after its creation a note may still be edited."
    )
