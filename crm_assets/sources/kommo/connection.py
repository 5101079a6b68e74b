"""`crm_assets.KommoConnection`: a Kommo account, declared in a `defs.yaml`."""

from __future__ import annotations

from pydantic import Field

from crm_assets.core.runtime.component import ConnectionComponent
from crm_assets.core.runtime.scaffold import scaffolded
from crm_assets.sources.kommo.streams import SOURCE


@scaffolded
class KommoConnection(ConnectionComponent):
    """A Kommo (amoCRM) account: leads, contacts, companies, events and the rest, into
    tables `<name>_<stream>`. The token is a private integration's long-lived token."""

    SOURCE = SOURCE

    access_token_env_var: str | None = Field(
        default=None,
        description="Variable holding the long-lived token. Default: `<NAME>_ACCESS_TOKEN`.",
    )
    subdomain: str | None = Field(
        default=None,
        description="The `acme` of acme.kommo.com. Default: the variable "
        "`subdomain_env_var` names.",
    )
    subdomain_env_var: str | None = Field(
        default=None, description="Variable holding the subdomain. Default: `<NAME>_SUBDOMAIN`."
    )
    base_url: str | None = Field(
        default=None, description="Overrides https://{subdomain}.kommo.com/api/v4/ when set."
    )
