"""A warehouse URL that cannot work says which variable, what is wrong and what to do."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from crm_assets.core.warehouse import Warehouse, WarehouseUrlError, warehouse_url
from crm_assets_tests.sources.nectarcrm import conftest as nectar

PASSWORD = "s3cret-pw-7d1e"

CASES = [
    ("postgresql+psycopg://user:s3cret-pw-7d1e@host:port/db", "is not a database URL"),
    ("user:s3cret-pw-7d1e@host/warehouse", "is not a database URL"),
    ("", "is not a database URL"),
    ("mysql://user:s3cret-pw-7d1e@host/db", "names a 'mysql' database, which crm_assets does not"),
    ("postgres://user:s3cret-pw-7d1e@host/db", "names a 'postgres' database"),
    ("postgresql+pg8000://user:s3cret-pw-7d1e@host/db", "driver 'pg8000', which is not installed"),
    ("postgresql+nosuch://user:s3cret-pw-7d1e@host/db", "driver 'nosuch', which is not installed"),
]


@pytest.mark.parametrize(("url", "message"), CASES)
def test_a_bad_url_is_explained_without_its_password(url, message):
    with pytest.raises(WarehouseUrlError) as raised:
        warehouse_url(url)
    text = str(raised.value)
    assert text.startswith("CRM_WAREHOUSE_URL ")
    assert message in text
    assert PASSWORD not in text and "Could not parse" not in text
    # A chained SQLAlchemy error would print the URL under ours in a traceback.
    assert raised.value.__cause__ is None
    assert raised.value.__context__ is None or raised.value.__suppress_context__


def test_the_fix_names_the_supported_databases_and_the_extra():
    with pytest.raises(WarehouseUrlError, match="SQLite .* and PostgreSQL"):
        warehouse_url("mysql://u@h/db")
    with pytest.raises(WarehouseUrlError, match=r"pip install -e '\.\[postgres\]'"):
        warehouse_url("postgresql+pg8000://u@h/db")


@pytest.mark.parametrize("url", ["sqlite:///data/x.db", "postgresql+psycopg://u:p@h:5432/db"])
def test_supported_urls_pass(url):
    assert warehouse_url(url).get_backend_name() in ("sqlite", "postgresql")


def test_a_run_with_a_bad_url_fails_in_setup_before_any_request():
    with contextmanager(nectar._harness)(sizes=nectar.SMALL) as harness:
        warehouse = Warehouse(url=f"mysql://user:{PASSWORD}@db.example/warehouse")
        result = harness.run(warehouse, streams=["tags"], raise_on_error=False)
        assert not result.success
        logged = "\n".join(str(r) for r in harness.instance.all_logs(result.run_id))
        assert "CRM_WAREHOUSE_URL names a 'mysql' database" in logged
        assert PASSWORD not in logged
        assert harness.emulator.requests == []
