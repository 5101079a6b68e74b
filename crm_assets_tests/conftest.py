"""Shared fixtures: a warehouse on real SQLite and real PostgreSQL.

PostgreSQL tests use CRM_TEST_POSTGRES_URL (default: the local server, database
`test`), each in a schema of its own. Where no server answers they skip, unless
CRM_REQUIRE_POSTGRES=1 (set by .ci/run), which makes them fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

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


# Tests that wait on whole Dagster runs in subprocesses, a webserver or a Celery worker
# take tens of seconds each. Started first, they overlap the many short tests on the
# other workers instead of finishing the suite alone.
LONG_FIRST = (
    "test_demo.py",
    "deploy/",
    "test_run_control.py",
    "test_automation.py",
    "test_definitions.py",
    "test_erasure_links.py",
    "test_warehouse_url.py",
    "test_faults.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not any(part in item.nodeid for part in LONG_FIRST))
