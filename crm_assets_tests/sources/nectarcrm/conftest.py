"""A NectarCRM emulator on a loopback socket, and a way to materialize against it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from crm_assets.sources.nectarcrm.emulator import NectarCrmEmulator
from crm_assets.sources.nectarcrm.streams import SOURCE
from crm_assets_tests.harness import Harness, harness

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


def settings(url: str) -> dict:
    return dict(
        api_token=TOKEN, base_url=f"{url}/crm/api/1/", start_date="2026-01-01",
        requests_per_second=500, backoff_seconds=0.01,
    )  # fmt: skip


def _harness(**emulator_args) -> Iterator[Harness]:
    emulator = NectarCrmEmulator(token=TOKEN, anchor=ANCHOR, **emulator_args)
    with harness(SOURCE, emulator, ANCHOR, settings) as running:
        yield running


@pytest.fixture
def nectar() -> Iterator[Harness]:
    """Small data, for fast behavioural tests."""
    yield from _harness(sizes=SMALL)


@pytest.fixture
def nectar_full() -> Iterator[Harness]:
    """The emulator's default size: 2,000 contacts, 3,000 opportunities."""
    yield from _harness()
