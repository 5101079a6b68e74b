"""`crm_assets.OdooConnection`: an Odoo database, declared in a `defs.yaml`."""

from __future__ import annotations

from pydantic import Field, field_validator

from crm_assets.core.runtime.component import ConnectionComponent
from crm_assets.core.runtime.scaffold import scaffolded
from crm_assets.core.spec.streams import SourceSpec
from crm_assets.sources.odoo.streams import SOURCE, configured_models, odoo_source


@scaffolded
class OdooConnection(ConnectionComponent):
    """An Odoo database: partners, payments, insurance quotations and policies, and any
    model named in `models`, into tables `<name>_<stream>`. API keys are made under
    Preferences > Account Security > New API Key."""

    SOURCE = SOURCE

    api_key_env_var: str | None = Field(
        default=None, description="Variable holding the API key. Default: `<NAME>_API_KEY`."
    )
    base_url: str | None = Field(
        default=None,
        description="The server's root URL. Default: the variable `base_url_env_var` names.",
    )
    base_url_env_var: str | None = Field(
        default=None, description="Variable holding the server's URL. Default: `<NAME>_URL`."
    )
    database: str | None = Field(
        default=None, description="Needed only when the server hosts several databases."
    )
    database_env_var: str | None = Field(
        default=None, description="Variable holding the database. Default: `<NAME>_DATABASE`."
    )
    login: str | None = Field(
        default=None, description="The API key's user login, needed by servers before 19."
    )
    login_env_var: str | None = Field(
        default=None, description="Variable holding the login. Default: `<NAME>_LOGIN`."
    )
    protocol: str | None = Field(
        default=None,
        description="auto (JSON-2 from version 19, JSON-RPC before), json2 or jsonrpc.",
    )
    page_size: int | None = Field(default=None, description="Records per search_read call.")
    models: list[str] | None = Field(
        default=None,
        description="Extra Odoo models to replicate (like res.partner.category). Default: "
        "those the variable `models_env_var` names.",
    )
    models_env_var: str | None = Field(
        default=None, description="Variable naming extra models. Default: `<NAME>_MODELS`."
    )

    @field_validator("models")
    @classmethod
    def _model_names(cls, models: list[str] | None) -> list[str] | None:
        if models is not None:
            configured_models(",".join(models), variable="models")
        return models

    def source_spec(self) -> SourceSpec:
        variable = self.models_env_var or f"{self.connection_name.upper()}_MODELS"
        return odoo_source(self.models, variable=variable)
