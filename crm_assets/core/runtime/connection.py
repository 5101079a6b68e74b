"""A connection: one account of a source, under the name that namespaces it.

A connection named N has asset keys `N/<stream>` in group N, tables `N_<stream>` (its
default table prefix), resource key N, pool N, jobs `N_sync` and `N_full_sync`,
schedules `N_hourly`, `N_daily` and `N_weekly_full`, and reads its variables as
`N_<SETTING>` (connection `sales_eu` of a source whose token is in `<SOURCE>_API_TOKEN`
reads `SALES_EU_API_TOKEN`). A source's own connection is named after
the source, so its names are the source's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from crm_assets.core.spec.streams import SourceSpec, StreamSpec

# Lower case: a connection's name is in its tables' names, which SQL then reads unquoted.
NAME = re.compile(r"[a-z][a-z0-9_]*")


def name_problem(name: str) -> str:
    """Why `name` cannot name a connection, or '' when it can."""
    if NAME.fullmatch(name):
        return ""
    return (
        f"{name!r} is not a valid connection name: use lower-case letters, digits and "
        "underscores, starting with a letter (it names the connection's assets, jobs, "
        "tables and variables)"
    )


@dataclass(frozen=True)
class Connection:
    """One account of `source`, with its settings (`resource`, a `SourceResource`)."""

    source: SourceSpec
    resource: Any
    # Whether the connection's schedules run from the start, or wait to be switched on.
    schedules_running: bool = False

    @classmethod
    def of(cls, source: SourceSpec, **settings: Any) -> Connection:
        """The source's own connection, configured from the environment; `settings`
        override the resource's."""
        return cls(source, source.resource.from_env(source.streams, **settings))

    @property
    def name(self) -> str:
        return self.resource.name

    @property
    def title(self) -> str:
        """How messages name it: the source's title, with the connection's name in brackets
        where the two differ (`<Title> (sales_eu)`)."""
        return self.resource.label

    @property
    def streams(self) -> tuple[StreamSpec, ...]:
        return self.source.streams

    @property
    def table_prefix(self) -> str:
        return self.resource.table_prefix

    @property
    def start(self) -> date:
        return self.resource.start()

    @property
    def secret_variables(self) -> list[str]:
        """The variables holding this connection's secrets."""
        return [self.resource.variable(self.resource.SECRET_FIELD)]

    @property
    def sync_job_name(self) -> str:
        return f"{self.name}_sync"
