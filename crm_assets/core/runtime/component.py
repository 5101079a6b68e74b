"""`ConnectionComponent`: a connection declared in `defs/<name>/defs.yaml`.

Each source's component type (`crm_assets.<Source>Connection`) subclasses it with
the source's own settings. An attribute left out takes the source's default, which
the resource states (`core.runtime.resource`), so a default lives in one place.

Secrets are given as the *name* of the variable holding them, never the value: a
YAML file is committed, and Dagster keeps run config in clear. A name must be upper
case, as variables are by convention: a token pasted where a name belongs is refused
(without being repeated in the message).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import dagster as dg
from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from crm_assets.core.runtime.assets import build_source_assets
from crm_assets.core.runtime.connection import Connection, name_problem
from crm_assets.core.runtime.jobs import connection_schedules, full_sync_job, sync_job
from crm_assets.core.spec.streams import SourceSpec
from crm_assets.core.spec.tables import source_tables

ENV_VAR_SUFFIX = "_env_var"
VARIABLE = re.compile(r"[A-Z_][A-Z0-9_]*")
# Attributes that are the component's own, not the resource's.
OWN = {"name", "schedules_running"}


def _name(name: str | None) -> str | None:
    if name is not None and (problem := name_problem(name)):
        raise ValueError(problem)
    return name


def _date(value: str | None) -> str | None:
    if value is not None:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a date; use YYYY-MM-DD") from None
    return value


def _variable(value: Any, info: ValidationInfo) -> Any:
    named = isinstance(value, str) and VARIABLE.fullmatch(value)
    if info.field_name.endswith(ENV_VAR_SUFFIX) and value is not None and not named:
        raise ValueError(
            f"{info.field_name} takes the NAME of an environment variable (upper case, "
            "like SALES_EU_API_TOKEN), not a value; what was given is not shown, "
            "in case it is a secret. Put the secret in that variable."
        )
    return value


_CHECKED_MODELS: dict[type, type[BaseModel]] = {}
HIDDEN = "<not shown>"


def _checked_model(component: Any) -> type[BaseModel]:
    base = component.model()
    secret = component.SOURCE.resource.SECRET_FIELD
    known = set(base.model_fields)

    def blank(data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {
            key: HIDDEN
            if key == secret
            or key not in known
            or (key.endswith(ENV_VAR_SUFFIX) and not VARIABLE.fullmatch(str(value)))
            else value
            for key, value in data.items()
        }

    def no_secret(value: Any) -> Any:
        if value is not None:
            raise ValueError(
                f"{secret} is a secret, which a YAML file must not hold (it is committed): "
                "put it in an environment variable and name that variable in "
                f"{secret}{ENV_VAR_SUFFIX}"
            )
        return value

    return type(base)(
        f"{component.__name__}Attributes",
        (base,),
        {
            "__module__": component.__module__,
            "__annotations__": {secret: Any},
            secret: None,
            "blank_refused_values": model_validator(mode="before")(blank),
            "no_secret": field_validator(secret)(no_secret),
            "valid_name": field_validator("name")(_name),
            "valid_date": field_validator("start_date")(_date),
            "valid_variables": field_validator("*")(_variable),
        },
    )


class ConnectionComponent(dg.Component, dg.Resolvable, dg.Model):
    """One account of a source, replicated into the warehouse under its own name."""

    SOURCE: ClassVar[SourceSpec]

    name: str | None = Field(
        default=None,
        description="The connection's name: its asset key prefix and group, resource key, "
        "pool, jobs (`<name>_sync`), schedules and variables (`<NAME>_…`). Default: the "
        "name of the folder holding this file.",
    )
    table_prefix: str | None = Field(
        default=None, description="Prefix of the connection's tables. Default: `<name>_`."
    )
    start_date: str | None = Field(
        default=None,
        description="First daily partition, YYYY-MM-DD. Default: the variable "
        "`start_date_env_var` names, else 2025-01-01.",
    )
    start_date_env_var: str | None = Field(
        default=None, description="Variable holding the start date. Default: `<NAME>_START_DATE`."
    )
    requests_per_second: float | None = Field(default=None, description="Client-side request rate.")
    timeout_seconds: float | None = Field(
        default=None, description="Seconds to wait for an answer."
    )
    max_attempts: int | None = Field(default=None, description="Tries per request, first included.")
    backoff_seconds: float | None = Field(
        default=None, description="First retry's backoff ceiling, in seconds."
    )
    sync_modes: dict[str, str] | None = Field(
        default=None, description="Per-stream sync mode: INCREMENTAL or FULL_TABLE."
    )
    max_concurrent_streams: int | None = Field(default=None, description="Streams synced at once.")
    prefetch_pages: int | None = Field(
        default=None,
        description="Pages of a stream fetched ahead of the one being written; where a "
        "list's next pages can be named ahead, this many are requested at once.",
    )
    read_ahead_pages: int | None = Field(
        default=None, description="Deprecated: prefetch_pages replaces it."
    )
    pages_requested_ahead: int | None = Field(
        default=None, description="Deprecated: prefetch_pages replaces it."
    )
    history_days: int | None = Field(
        default=None, description="Days of earlier row versions kept in `<table>__history`."
    )
    privacy: dict[str, list[str]] | None = Field(
        default=None,
        description="Personal data policy: action -> classes or table.column. Default: "
        "CRM_PII_POLICY, else keep all.",
    )
    schedules_running: bool = Field(
        default=False,
        description="Start the hourly, daily and weekly schedules running (off: they "
        "exist, stopped, and can be switched on in the UI).",
    )

    _folder: Path | None = PrivateAttr(default=None)
    _connection: Connection | None = PrivateAttr(default=None)

    _valid_name = field_validator("name")(_name)
    _valid_date = field_validator("start_date")(_date)
    _valid_variables = field_validator("*")(_variable)

    @classmethod
    def get_model_cls(cls) -> type[BaseModel]:
        """The model Dagster validates a file's attributes against, and whose errors it
        reports at the file and line: the attributes, with the checks above.

        Dagster's report repeats each refused value, and a value in the wrong place may
        be a secret: the model first blanks every value it will refuse for being where
        a secret may be (the secret itself, a variable name that is none, an unknown
        attribute), so the report names the attribute and the line, not the value.
        """
        if cls not in _CHECKED_MODELS:
            _CHECKED_MODELS[cls] = _checked_model(cls)
        return _CHECKED_MODELS[cls]

    @classmethod
    def load(cls, attributes: Any, context: dg.ComponentLoadContext) -> ConnectionComponent:
        component = super().load(attributes, context)
        component._folder = context.path
        return component

    # -- the connection ------------------------------------------------------------

    @property
    def connection_name(self) -> str:
        if self.name:
            return self.name
        folder = self._folder.name if self._folder else self.SOURCE.name
        if problem := name_problem(folder):
            raise ValueError(f"{self.defined_in}: {problem}; rename the folder or set `name`")
        return folder

    @property
    def defined_in(self) -> Path | None:
        """The YAML file declaring this connection."""
        return self._folder / "defs.yaml" if self._folder else None

    def source_spec(self) -> SourceSpec:
        """The source this connection replicates (a source whose streams depend on its
        settings builds them here)."""
        return self.SOURCE

    def connection(self) -> Connection:
        if self._connection is None:
            self._connection = self._build_connection()
        return self._connection

    def _build_connection(self) -> Connection:
        source = self.source_spec()
        name = self.connection_name
        fields = source.resource.model_fields
        variables, settings = {}, {}
        for field, value in self.model_dump().items():
            setting = field.removesuffix(ENV_VAR_SUFFIX)
            if value is None or field in OWN or setting not in fields:
                continue  # not the resource's: the component used it already
            if field.endswith(ENV_VAR_SUFFIX):
                variables[setting] = value
            else:
                settings[field] = value
        settings.setdefault("table_prefix", f"{name}_")
        if "sync_modes" in settings:  # a stream left out keeps its default mode
            defaults = {s.name: str(s.sync_mode) for s in source.streams}
            settings["sync_modes"] = {**defaults, **settings["sync_modes"]}
        resource = source.resource.from_env(
            source.streams, connection=name, variables=variables, **settings
        )
        return Connection(source, resource, schedules_running=self.schedules_running)

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        connection = self.connection()
        job = sync_job(connection)
        return dg.Definitions(
            assets=[build_source_assets(connection, self._tables_elsewhere(context))],
            jobs=[job, full_sync_job(connection)],
            schedules=connection_schedules(connection, job),
            resources={connection.name: connection.resource},
        )

    def _tables_elsewhere(self, context: dg.ComponentLoadContext) -> set[str]:
        """The other connections' tables, which a privacy policy they share may name."""
        others = context.component_tree.get_all_components(of_type=ConnectionComponent)
        return {
            table
            for other in others
            if other is not self
            for table in source_tables(
                other.connection().source, other.connection().table_prefix
            ).values()
        }


class ConnectionClash(ValueError):
    """Two connections would share a name or a table."""


def refuse_clashes(components: list[ConnectionComponent]) -> None:
    """Refuse two connections of one name, or whose tables would share a name: each
    would overwrite the other's rows."""
    seen: dict[str, ConnectionComponent] = {}
    for component in components:
        name = component.connection_name
        if name in seen:
            raise ConnectionClash(
                f"{_where(component, 'name')}: a connection named {name!r} is declared "
                f"in {_where(seen[name], 'name')} too; give each connection a name of its own."
            )
        seen[name] = component
    owners: dict[str, ConnectionComponent] = {}
    for component in components:
        connection = component.connection()
        for table in source_tables(connection.source, connection.table_prefix).values():
            other = owners.setdefault(table, component)
            if other is not component:
                raise ConnectionClash(
                    f"{_where(component, 'table_prefix')}: connection {connection.name!r} "
                    f"would write table {table}, which connection {other.connection_name!r} "
                    f"({_where(other, 'table_prefix')}) writes too; give each connection a "
                    "table_prefix of its own."
                )


def _where(component: ConnectionComponent, attribute: str) -> str:
    """`file:line` of `attribute` in the component's YAML (its `attributes:` line when it
    is left out)."""
    path = component.defined_in
    if path is None or not path.exists():
        return f"connection {component.connection_name!r}"
    lines = path.read_text().splitlines()
    for wanted in (f"{attribute}:", "attributes:"):
        for number, line in enumerate(lines, start=1):
            if line.strip().startswith(wanted):
                return f"{path}:{number}"
    return f"{path}:1"
