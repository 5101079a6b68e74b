"""`crm_assets.NectarCrmConnection`: a NectarCRM account, declared in a `defs.yaml`."""

from __future__ import annotations

from pydantic import Field

from crm_assets.core.runtime.component import ConnectionComponent
from crm_assets.core.runtime.scaffold import scaffolded
from crm_assets.sources.nectarcrm.streams import SOURCE


@scaffolded
class NectarCrmConnection(ConnectionComponent):
    """A NectarCRM account: contacts, opportunities, pipelines and the rest, into tables
    `<name>_<stream>`. The token is under Settings > Integrations > Public Token."""

    SOURCE = SOURCE

    api_token_env_var: str | None = Field(
        default=None, description="Variable holding the API token. Default: `<NAME>_API_TOKEN`."
    )
    base_url: str | None = Field(default=None, description="The API's root URL.")
    page_size: int | None = Field(
        default=None, description="Records asked for per page (displayLength)."
    )
