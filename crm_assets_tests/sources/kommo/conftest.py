"""A Kommo emulator on a loopback socket, and a way to materialize against it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import date

import pytest

from crm_assets.sources.kommo.emulator import KommoEmulator
from crm_assets.sources.kommo.streams import SOURCE
from crm_assets_tests.harness import Harness
from crm_assets_tests.harness import harness as shared_harness

ANCHOR = date(2026, 11, 20)
TOKEN = "kommo-test-token-5f3a9e71c2"
SMALL = {"leads": 300, "contacts": 120, "companies": 50, "tasks": 100, "notes": 40}
# For tests not about the rate limit: neither side limits.
UNLIMITED = 100_000


def settings(url: str) -> dict:
    return dict(
        access_token=TOKEN,
        base_url=f"{url}/api/v4/",
        start_date="2026-01-01",
        backoff_seconds=0.01,
    )


def harness(**emulator_args) -> Iterator[Harness]:
    emulator_args.setdefault("sizes", SMALL)
    emulator_args.setdefault("days", 20)
    emulator = KommoEmulator(token=TOKEN, anchor=ANCHOR, **emulator_args)
    with shared_harness(SOURCE, emulator, ANCHOR, settings) as running:
        yield running


@pytest.fixture
def kommo() -> Iterator[Harness]:
    """SMALL data, no rate limit on either side: run it with `requests_per_second=UNLIMITED`."""
    yield from harness(per_second=UNLIMITED)


@pytest.fixture
def make_kommo() -> Iterator[Callable[..., Harness]]:
    """Harnesses on emulators built with other settings, shut down when the test ends."""
    with ExitStack() as stack:
        yield lambda **emulator_args: stack.enter_context(contextmanager(harness)(**emulator_args))
