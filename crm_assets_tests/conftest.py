"""Shared fixtures: a warehouse on real SQLite and real PostgreSQL.

PostgreSQL tests use CRM_TEST_POSTGRES_URL (default: the local server, database
`test`), each in a schema of its own. Where no server answers they skip, unless
CRM_REQUIRE_POSTGRES=1 (set by .ci/run), which makes them fail instead.
"""

from __future__ import annotations

import gc
import os
import uuid
from collections.abc import Callable, Iterator
from itertools import islice

import pytest
import sqlalchemy as sa

from crm_assets.core.sync.garbage_collection import SYNC_THRESHOLD
from crm_assets.core.warehouse import Warehouse

POSTGRES_URL = os.getenv(
    "CRM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.getenv("CRM_REQUIRE_POSTGRES") == "1"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's real credentials or demo switch must not leak into tests.
    for name in list(os.environ):
        if name.startswith(("NECTARCRM_", "PIPEDRIVE_", "KOMMO_", "ODOO_", "CRM_ASSETS_")):
            monkeypatch.delenv(name)
    monkeypatch.delenv("CRM_WAREHOUSE_URL", raising=False)


def _postgres_available() -> str | None:
    try:
        engine = sa.create_engine(POSTGRES_URL)
        with engine.connect() as connection:
            connection.execute(sa.text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure to connect means "no server here"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    problem = _postgres_available()
    if problem:
        message = f"PostgreSQL not reachable at {POSTGRES_URL} ({problem})"
        if REQUIRE_POSTGRES:
            pytest.fail(message + "; CRM_REQUIRE_POSTGRES=1 makes this required")
        pytest.skip(message)
    yield POSTGRES_URL


@pytest.fixture
def postgres_warehouse(postgres_url: str) -> Iterator[Warehouse]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in postgres_url else "?"
    warehouse = Warehouse(url=f"{postgres_url}{separator}options=-csearch_path%3D{schema}")
    yield warehouse
    warehouse.engine.dispose()
    with admin.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def make_postgres_warehouse(postgres_url: str) -> Iterator[Callable[[], Warehouse]]:
    """For a test that needs more than one: makes PostgreSQL warehouses, each in a schema
    of its own, dropped when the test ends."""
    admin = sa.create_engine(postgres_url)
    made: list[tuple[str, Warehouse]] = []

    def make() -> Warehouse:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in postgres_url else "?"
        url = f"{postgres_url}{separator}options=-csearch_path%3D{schema}"
        made.append((schema, Warehouse(url=url)))
        return made[-1][1]

    yield make
    for schema, warehouse in made:
        warehouse.engine.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def sqlite_warehouse(tmp_path) -> Iterator[Warehouse]:
    warehouse = Warehouse(url=f"sqlite:///{tmp_path / 'warehouse.db'}")
    yield warehouse
    warehouse.engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def warehouse(request: pytest.FixtureRequest) -> Warehouse:
    """The same test on both warehouses."""
    return request.getfixturevalue(f"{request.param}_warehouse")


def pytest_collection_finish(session: pytest.Session) -> None:
    # What collection imported (Dagster, SQLAlchemy, every test module) lives as long
    # as the process: frozen, the collector's full passes no longer walk it. Between
    # syncs the tests make many short-lived containers, and at the default threshold
    # the collector took a seventh of the suite's CPU; syncs already run at this one
    # (`core.sync.garbage_collection`).
    gc.collect()
    gc.freeze()
    gc.set_threshold(SYNC_THRESHOLD, *gc.get_threshold()[1:])


# Tests that wait on whole Dagster runs in subprocesses, a webserver or a Celery worker
# take tens of seconds each, most of it waiting, longest first.
LONG = (
    "test_demo.py::test_the_demo_writes",
    "deploy/test_production_profile.py",
    "deploy/test_celery.py",
    "deploy/test_webserver.py",
    "test_run_control.py::test_a_launched_run",
    "test_automation.py::test_all_sources_sync_starts",
    "test_definitions.py::test_the_cli_runs",
    "test_run_control.py::test_a_killed_cli_run",
    "test_faults.py::test_a_run_killed",
    "test_warehouse_url.py::test_the_cli_ends",
    "test_run_control.py::test_stopping_the_cli",
    "test_refresh.py::test_models_refresh_job_from_the_command_line",
)


def _rank(item: pytest.Item) -> int:
    return next((i for i, part in enumerate(LONG) if part in item.nodeid), len(LONG))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Order the tests for xdist's `worksteal` schedule (pyproject's addopts).

    Worksteal hands each of W workers an equal run of consecutive tests, then moves the
    tail of the longest queue to a worker that ran out. The long tests, mostly waiting,
    are spread over the first half of the runs and staggered from one worker to the
    next, so that the cores are not idle while every worker waits at once, and they
    start early enough never to finish the suite alone. The short tests keep their
    collection order, so a module's fixtures are set up once per worker.
    """
    workers = getattr(config, "workerinput", {}).get("workercount", 1)
    ranked = sorted(items, key=_rank)  # stable: collection order within a rank
    long = [item for item in ranked if _rank(item) < len(LONG)]
    short = iter(ranked[len(long) :])
    ordered: list[pytest.Item] = []
    remaining = len(items)
    for worker in range(workers):
        size = remaining // (workers - worker)  # as worksteal splits the queue
        remaining -= size
        mine = long[worker::workers]
        spread = max(1, size // 2 // max(1, len(mine)))
        run: list[pytest.Item] = list(islice(short, worker * spread // workers))
        for item in mine:
            run += [item, *islice(short, spread - 1)]
        run += islice(short, max(0, size - len(run)))
        ordered += run
    items[:] = ordered + list(short)
