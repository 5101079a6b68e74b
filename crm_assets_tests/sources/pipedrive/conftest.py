"""A Pipedrive emulator on a loopback socket, and a way to materialize against it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date

import pytest
from dagster import DagsterInstance, materialize

from crm_assets.core.assets import build_source_assets
from crm_assets.core.emulation import serve
from crm_assets.sources.pipedrive.emulator import PipedriveEmulator
from crm_assets.sources.pipedrive.resource import PipedriveResource
from crm_assets.sources.pipedrive.streams import SOURCE

ANCHOR = date(2026, 11, 20)
TOKEN = "pipedrive-test-token-8d2e41"
SMALL = {"deals": 400, "persons": 150, "organizations": 60, "activities": 300, "notes": 120,
         "products": 30}  # fmt: skip


@dataclass
class Harness:
    emulator: PipedriveEmulator
    url: str
    instance: DagsterInstance

    def resource(self, **overrides) -> PipedriveResource:
        settings = dict(api_token=TOKEN, base_url=self.url, start_date="2026-01-01",
                        backoff_seconds=0.01)  # fmt: skip
        return PipedriveResource(**{**settings, **overrides})

    def run(self, warehouse, *, partition=None, streams=None, tags=None,
            raise_on_error=True, **resource_overrides):  # fmt: skip
        selection = [f"pipedrive/{s}" for s in streams] if streams else None
        return materialize(
            [build_source_assets(SOURCE)],
            selection=selection,
            partition_key=partition or ANCHOR.isoformat(),
            tags=tags or {},
            resources={"pipedrive": self.resource(**resource_overrides), "warehouse": warehouse},
            instance=self.instance,
            raise_on_error=raise_on_error,
        )


def harness(**emulator_args) -> Iterator[Harness]:
    emulator_args.setdefault("sizes", SMALL)
    emulator = PipedriveEmulator(token=TOKEN, anchor=ANCHOR, **emulator_args)
    with serve(emulator) as url, DagsterInstance.ephemeral() as instance:
        yield Harness(emulator, url, instance)


@pytest.fixture
def pipedrive() -> Iterator[Harness]:
    yield from harness()


@pytest.fixture
def make_pipedrive() -> Iterator[Callable[..., Harness]]:
    """Harnesses on emulators built with other settings (sizes, limits, clock), shut down
    when the test ends."""
    with ExitStack() as stack:
        yield lambda **emulator_args: stack.enter_context(contextmanager(harness)(**emulator_args))
