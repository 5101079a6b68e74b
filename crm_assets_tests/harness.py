"""One way for source tests to run a source's assets against its emulator.

The emulator is served on a loopback socket; the resource points at it; runs go
through Dagster's `materialize` on an ephemeral instance, as a user's run would; the
instance is shared by the harnesses of a test process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from dagster import DagsterInstance, materialize

from crm_assets.core.emulation import serve
from crm_assets.core.runtime.assets import build_source_assets
from crm_assets.core.runtime.connection import Connection
from crm_assets.core.spec.streams import SourceSpec


@dataclass
class Harness:
    source: SourceSpec
    emulator: Any
    url: str
    instance: DagsterInstance
    anchor: date
    # The resource's settings for this emulator, given the served URL.
    settings: Callable[[str], dict[str, Any]]
    _assets: Any = field(default=None, repr=False)

    def resource(self, **overrides: Any) -> Any:
        return self.source.resource(**{**self.settings(self.url), **overrides})

    def run(self, warehouse, *, partition=None, streams=None, tags=None, raise_on_error=True,
            **resource_overrides):  # fmt: skip
        if self._assets is None:
            self._assets = build_source_assets(Connection.of(self.source))
        selection = [f"{self.source.name}/{s}" for s in streams] if streams else None
        return materialize(
            [self._assets],
            selection=selection,
            partition_key=partition or self.anchor.isoformat(),
            tags=tags or {},
            resources={
                self.source.resource_key: self.resource(**resource_overrides),
                "warehouse": warehouse,
            },
            instance=self.instance,
            raise_on_error=raise_on_error,
        )


@cache
def shared_instance() -> DagsterInstance:
    """One ephemeral instance for every harness of a test process.

    Making one costs about 60 ms, nearly 300 times a suite; the harnesses' tests read
    their runs' logs by run id, so they never see each other's runs.
    """
    return DagsterInstance.ephemeral()


@contextmanager
def harness(source: SourceSpec, emulator: Any, anchor: date, settings) -> Iterator[Harness]:
    with serve(emulator) as url:
        yield Harness(source, emulator, url, shared_instance(), anchor, settings)


def failure_text(result) -> str:
    """The errors of a run's failed steps, as the UI shows them."""
    events = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return "\n".join(str(e.event_specific_data.error) for e in events)


def logged_text(result, instance) -> str:
    """Every log record of a run, debug included."""
    return "\n".join(str(record) for record in instance.all_logs(result.run_id))
