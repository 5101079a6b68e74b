"""A NectarCRM emulator on a loopback socket, and a way to materialize against it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from dagster import DagsterInstance, materialize

from crm_assets.core.assets import build_source_assets
from crm_assets.core.emulation import serve
from crm_assets.sources.nectarcrm.emulator import NectarCrmEmulator
from crm_assets.sources.nectarcrm.resource import NectarCrmResource
from crm_assets.sources.nectarcrm.streams import SOURCE

ANCHOR = date(2026, 11, 20)
TOKEN = "nectar-test-token-5f0c9e"
SMALL = {
    "contatos": 120,
    "oportunidades": 160,
    "qualificacoes": 40,
    "compromissos": 40,
    "tarefas": 40,
    "publicacao": 30,
    "proposta": 20,
    "produto": 15,
}


@dataclass
class Harness:
    emulator: NectarCrmEmulator
    url: str
    instance: DagsterInstance

    def resource(self, **overrides) -> NectarCrmResource:
        settings = dict(
            api_token=TOKEN,
            base_url=f"{self.url}/crm/api/1/",
            start_date="2026-01-01",
            requests_per_second=500,
            backoff_seconds=0.01,
        )
        return NectarCrmResource(**{**settings, **overrides})

    def run(
        self,
        warehouse,
        *,
        partition=None,
        streams=None,
        tags=None,
        raise_on_error=True,
        **resource_overrides,
    ):
        assets = build_source_assets(SOURCE)
        selection = [f"nectarcrm/{s}" for s in streams] if streams else None
        return materialize(
            [assets],
            selection=selection,
            partition_key=partition or ANCHOR.isoformat(),
            tags=tags or {},
            resources={"nectarcrm": self.resource(**resource_overrides), "warehouse": warehouse},
            instance=self.instance,
            raise_on_error=raise_on_error,
        )


def _harness(**emulator_args) -> Iterator[Harness]:
    emulator = NectarCrmEmulator(token=TOKEN, anchor=ANCHOR, **emulator_args)
    with serve(emulator) as url, DagsterInstance.ephemeral() as instance:
        yield Harness(emulator, url, instance)


@pytest.fixture
def nectar() -> Iterator[Harness]:
    """Small data, for fast behavioural tests."""
    yield from _harness(sizes=SMALL)


@pytest.fixture
def nectar_full() -> Iterator[Harness]:
    """The emulator's default size: 2,000 contacts, 3,000 opportunities."""
    yield from _harness()
