"""An Odoo emulator (version 19 and 17) on a loopback socket, and a way to sync from it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date

import pytest

from crm_assets.core.emulation import serve
from crm_assets.core.warehouse import Warehouse
from crm_assets.sources.odoo.emulator import OdooEmulator
from crm_assets.sources.odoo.streams import SOURCE
from crm_assets_tests.harness import Harness
from crm_assets_tests.harness import harness as shared_harness

ANCHOR = date(2026, 11, 20)
TOKEN = "odoo-test-key-5f1c9a7e"
# The admin user's password: the web client's login needs it (an API key will not do).
PASSWORD = "odoo-test-password-81d2"
SMALL = {"res.partner": 30, "mut.insurance.quotation": 60, "account.payment": 80}
PAGE = 7  # small, so the anchor day's shared write_date spans several pages
VERSIONS = (19, 17)


def settings(url: str) -> dict:
    return dict(api_key=TOKEN, base_url=url, login="admin", start_date="2026-01-01",
                page_size=PAGE, requests_per_second=1000, backoff_seconds=0.01)  # fmt: skip


def harness(source=SOURCE, **emulator_args) -> Iterator[Harness]:
    emulator_args.setdefault("sizes", SMALL)
    emulator = OdooEmulator(token=TOKEN, anchor=ANCHOR, **emulator_args)
    with shared_harness(source, emulator, ANCHOR, settings) as running:
        yield running


@pytest.fixture(params=VERSIONS, ids=lambda v: f"odoo{v}")
def odoo(request) -> Iterator[Harness]:
    """The same test against a JSON-2 server (19) and a legacy-only one (17)."""
    yield from harness(version=request.param)


@pytest.fixture
def make_odoo() -> Iterator[Callable[..., Harness]]:
    """Harnesses on emulators built with other settings, shut down when the test ends."""
    with ExitStack() as stack:
        yield lambda **args: stack.enter_context(contextmanager(harness)(**args))


@dataclass(frozen=True)
class Served:
    emulator: OdooEmulator
    url: str
    version: int


@pytest.fixture(scope="module", params=(17, 19), ids=lambda v: f"odoo{v}")
def served(request) -> Iterator[Served]:
    """One emulator per version for a whole module of client tests (which clean up
    the records they create)."""
    emulator = OdooEmulator(token=TOKEN, password=PASSWORD, anchor=ANCHOR, sizes=SMALL,
                            version=request.param)  # fmt: skip
    with serve(emulator) as url:
        yield Served(emulator, url, request.param)


@pytest.fixture
def two_warehouses(warehouse, request, tmp_path):
    """The parametrized warehouse and an empty one of the same kind."""
    if warehouse.engine.dialect.name == "sqlite":
        other = Warehouse(url=f"sqlite:///{tmp_path / 'other.db'}")
        yield warehouse, other
        other.engine.dispose()
    else:
        yield warehouse, request.getfixturevalue("make_postgres_warehouse")()
