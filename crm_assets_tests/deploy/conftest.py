"""What the deployment tests share: a fresh Dagster database, the broker, and a
temporary DAGSTER_HOME holding one of the shipped instance profiles.

Tests that need RabbitMQ skip where none answers (CRM_TEST_BROKER_URL, default the
local server as guest), unless CRM_REQUIRE_RABBITMQ=1 (set by .ci/run), which makes
them fail instead, as CRM_REQUIRE_POSTGRES does for PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
BROKER_URL = os.getenv("CRM_TEST_BROKER_URL", "pyamqp://guest:guest@127.0.0.1:5672//")
REQUIRE_RABBITMQ = os.getenv("CRM_REQUIRE_RABBITMQ") == "1"
# Variables of the developer's own deployment that must not steer these runs.
DEPLOYMENT_VARIABLES = ("DAGSTER_HOME", "DAGSTER_PG_URL", "CRM_EXECUTOR", "CRM_CELERY_")


@pytest.fixture
def dagster_postgres_url(postgres_url: str) -> Iterator[str]:
    """A new, empty database for Dagster's storage, dropped afterwards."""
    name = f"dagster_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    # dagster-postgres needs psycopg2: its NOTIFY statements fail through psycopg 3.
    url = sa.make_url(postgres_url).set(drivername="postgresql+psycopg2", database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def broker_url() -> str:
    problem = _broker_problem()
    if problem:
        message = f"RabbitMQ not reachable at {_host_port(BROKER_URL)} ({problem})"
        if REQUIRE_RABBITMQ:
            pytest.fail(message + "; CRM_REQUIRE_RABBITMQ=1 makes this required")
        pytest.skip(message)
    return BROKER_URL


def _broker_problem() -> str | None:
    try:
        from kombu import Connection
    except ImportError:
        return "dagster-celery is not installed: pip install -e '.[celery]'"
    try:
        with Connection(BROKER_URL, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
        return None
    except Exception as exc:  # any failure to connect means "no broker here"
        return type(exc).__name__


def _host_port(url: str) -> str:
    # Never the user name or password of the URL.
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 5672}"


def dagster_home(tmp_path: Path, profile: Path) -> Path:
    """A DAGSTER_HOME holding `profile` as its dagster.yaml, as docs/deploy.md says."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(profile, home / "dagster.yaml")
    return home


def process_environment(**variables: str) -> dict[str, str]:
    """This environment without deployment settings, plus `variables`; the virtualenv's
    commands (dagster, celery) first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(DEPLOYMENT_VARIABLES)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return {**env, **variables}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
