"""A Pipedrive emulator on a loopback socket, and a way to materialize against it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import date

import pytest

from crm_assets.sources.pipedrive.emulator import PipedriveEmulator
from crm_assets.sources.pipedrive.streams import SOURCE
from crm_assets_tests.harness import Harness
from crm_assets_tests.harness import harness as shared_harness

ANCHOR = date(2026, 11, 20)
TOKEN = "pipedrive-test-token-8d2e41"
SMALL = {"deals": 400, "persons": 150, "organizations": 60, "activities": 300, "notes": 120,
         "products": 30}  # fmt: skip


def settings(url: str) -> dict:
    return dict(api_token=TOKEN, base_url=url, start_date="2026-01-01", backoff_seconds=0.01)


def harness(**emulator_args) -> Iterator[Harness]:
    emulator_args.setdefault("sizes", SMALL)
    emulator = PipedriveEmulator(token=TOKEN, anchor=ANCHOR, **emulator_args)
    with shared_harness(SOURCE, emulator, ANCHOR, settings) as running:
        yield running


@pytest.fixture
def pipedrive() -> Iterator[Harness]:
    yield from harness()


@pytest.fixture
def make_pipedrive() -> Iterator[Callable[..., Harness]]:
    """Harnesses on emulators built with other settings (sizes, limits, clock), shut down
    when the test ends."""
    with ExitStack() as stack:
        yield lambda **emulator_args: stack.enter_context(contextmanager(harness)(**emulator_args))
