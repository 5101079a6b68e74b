"""A warehouse URL that cannot work, or a database that does not answer, says which
variable, what is wrong and what to do, at resource setup and never with the password."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster import DagsterEventType, DagsterInstance, Failure, build_run_status_sensor_context

from crm_assets.alerts import ALERTS_KEY, AlertWebhook, failure_message
from crm_assets.core.redaction import Redactor
from crm_assets.core.runtime.worker import GONE
from crm_assets.core.warehouse import Warehouse, WarehouseUrlError, warehouse_url
from crm_assets_tests.sources.nectarcrm import conftest as nectar

PASSWORD = "s3cret-pw-7d1e"
ROOT = Path(__file__).resolve().parents[2]

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


def free_port() -> int:
    """A loopback port nothing listens on (bound, read, closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_warehouse_that_does_not_answer_fails_setup_naming_host_port_and_variable():
    port = free_port()
    with contextmanager(nectar._harness)(sizes=nectar.SMALL) as harness:
        warehouse = Warehouse(url=f"postgresql+psycopg://crm:{PASSWORD}@127.0.0.1:{port}/dw")
        result = harness.run(warehouse, streams=["tags"], raise_on_error=False)
        assert not result.success
        records = harness.instance.all_logs(result.run_id)
        [setup] = [r for r in records if r.dagster_event and r.dagster_event.event_type_value
                   == "RESOURCE_INIT_FAILURE"]  # fmt: skip
        error = setup.dagster_event.event_specific_data.error
        assert error.message.splitlines()[0].endswith(
            f"The PostgreSQL warehouse at 127.0.0.1:{port} refused the connection: start the "
            "server there, or change the host and port in CRM_WAREHOUSE_URL."
        )
        assert error.cause is None, "no driver traceback under the sentence"
        assert "OperationalError" not in "\n".join(str(r) for r in records)
        assert PASSWORD not in "\n".join(str(r) for r in records)
        assert harness.emulator.requests == [], "setup failed before the vendor was called"


def test_a_postgres_server_without_the_database_or_the_user_says_which(postgres_url):
    url = sa.engine.make_url(postgres_url)
    where = f"{url.host}:{url.port or 5432}"
    missing_db = url.set(database="no_such_db_5f1c", password=PASSWORD)
    with pytest.raises(Failure) as raised:
        Warehouse(url=missing_db.render_as_string(hide_password=False)).setup_for_execution(None)
    assert raised.value.description == (
        f"The PostgreSQL server at {where} has no database 'no_such_db_5f1c': create it, or "
        "change the database in CRM_WAREHOUSE_URL."
    )
    stranger = url.set(username="no_such_role_5f1c", password=PASSWORD)
    with pytest.raises(Failure) as raised:
        Warehouse(url=stranger.render_as_string(hide_password=False)).setup_for_execution(None)
    assert raised.value.description == (
        f"The PostgreSQL server at {where} refused user 'no_such_role_5f1c': correct the user "
        "or password in CRM_WAREHOUSE_URL."
    )
    assert PASSWORD not in raised.value.description


def test_an_unresolvable_host_and_an_unwritable_sqlite_file_are_named(tmp_path):
    with pytest.raises(Failure, match=r"names the host 'warehouse\.invalid', which does not"):
        Warehouse(
            url=f"postgresql+psycopg://u:{PASSWORD}@warehouse.invalid/dw"
        ).setup_for_execution(None)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(Failure, match="names the SQLite file .* which cannot be opened"):
        Warehouse(url=f"sqlite:///{blocker}/warehouse.db").setup_for_execution(None)


def test_the_cli_ends_on_the_run_failure_with_the_warehouse_sentence_first(tmp_path):
    """`dagster job execute` as a user types it, with a warehouse nothing answers for.

    The run's failure (stored, and printed) carries our sentence first, nothing of
    Dagster's wrappers; the command ends on the run's failure, not a traceback.
    """
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path),
        "CRM_ASSETS_DEMO": "1",
        "CRM_WAREHOUSE_URL": f"postgresql+psycopg://crm:{PASSWORD}@127.0.0.1:{port}/dw",
    }
    (tmp_path / "dagster.yaml").write_text("telemetry: {enabled: false}\n")
    sentence = (
        f"The PostgreSQL warehouse at 127.0.0.1:{port} refused the connection: start the "
        "server there, or change the host and port in CRM_WAREHOUSE_URL."
    )
    for execution in ("multiprocess", "in_process"):
        config = tmp_path / f"{execution}.yaml"
        config.write_text(f"execution: {{config: {{{execution}: {{}}}}}}\n")
        done = subprocess.run(
            [str(Path(sys.executable).with_name("dagster")), "job", "execute", "-m", "crm_assets",
             "-j", "kommo_sync", "-c", str(config), "--tags",
             '{"dagster/partition": "' + datetime.now(UTC).date().isoformat() + '"}'],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        printed = done.stdout + done.stderr
        assert done.returncode == 1, printed[-3000:]
        assert PASSWORD not in printed
        assert "OperationalError" not in printed and "DagsterSubprocessError" not in printed
        failure = printed.split("RUN_FAILURE - ", 1)[1]
        assert failure.split("\n\n")[1].startswith(
            f"dagster._core.definitions.events.Failure: {sentence}"
        )
        assert printed.rstrip().splitlines()[-1].endswith("resulted in failure."), printed[-2000:]

        with DagsterInstance.from_config(str(tmp_path)) as instance:
            run = instance.get_runs(limit=1)[0]
            [stored] = instance.all_logs(run.run_id, of_type=DagsterEventType.RUN_FAILURE)
            error = stored.dagster_event.job_failure_data.error
            assert error.message.splitlines()[0].endswith(f"Failure: {sentence}")
            assert error.cause is None and error.context is None
            # The failure alert's text, which chat tools show alone, says it too.
            context = build_run_status_sensor_context(
                sensor_name="crm_run_failure_alert",
                dagster_event=stored.dagster_event,
                dagster_instance=instance,
                dagster_run=run,
                resources={ALERTS_KEY: AlertWebhook()},
            ).for_run_failure()
            alert = failure_message(context, AlertWebhook(), Redactor([PASSWORD]))
            partition = run.tags["dagster/partition"]
            assert alert["text"].splitlines()[0] == (
                f"Dagster run of kommo_sync (partition {partition}) failed: {sentence}"
            )
            assert PASSWORD not in str(alert)
            # The worker exited after failing the run itself: nothing says it was killed.
            engine = instance.all_logs(run.run_id, of_type=DagsterEventType.ENGINE_EVENT)
            assert not [e for e in engine if e.message.startswith(GONE)]
