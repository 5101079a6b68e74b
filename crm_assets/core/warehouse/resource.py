"""The warehouse: SQLite by default, PostgreSQL through CRM_WAREHOUSE_URL.

Every SQL identifier is quoted by SQLAlchemy or the dialect's identifier preparer,
never spliced in as it came. Writes are batched upserts on
the primary key; a row whose values did not change is not written, so re-running a
partition leaves every table exactly as it was. Tables grow columns as fields
appear and widen a column to text when a field changes type. Rows are never
removed: `_deleted` marks what the source deleted or a full sync no longer saw.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from dagster import EnvVar, Failure
from pydantic import PrivateAttr
from sqlalchemy.engine import Engine

from crm_assets.core import schema
from crm_assets.core.bound_resource import BoundResource, run_has_ended
from crm_assets.core.redaction import Redactor
from crm_assets.core.warehouse.columns import DELETED, identifier
from crm_assets.core.warehouse.transactions import Transactions
from crm_assets.core.warehouse.writer import TableWriter

DEFAULT_URL = "sqlite:///data/warehouse.db"
URL_VARIABLE = "CRM_WAREHOUSE_URL"


class Warehouse(BoundResource):
    """Where raw and modeled tables live. `url` is a SQLAlchemy URL."""

    url: str = DEFAULT_URL
    # Rows a statement writes; None: `BATCH_SIZES` for the warehouse's database.
    batch_size: int | None = None

    _engine: Engine | None = PrivateAttr(default=None)
    _write_turn: threading.RLock = PrivateAttr(default_factory=threading.RLock)

    @classmethod
    def from_env(cls) -> Warehouse:
        # Bound as an EnvVar so a password in the URL never shows in the UI's config.
        return cls(url=EnvVar(URL_VARIABLE) if os.getenv(URL_VARIABLE) else DEFAULT_URL)

    @property
    def engine(self) -> Engine:
        with self._write_turn:  # streams in threads share one engine
            if self._engine is None:
                self._engine = create_engine(self.resolved_url())
        return self._engine

    def resolved_url(self) -> str:
        """The URL itself. Dagster resolves an EnvVar binding when it builds the resource
        for a run; used directly (the demo, scripts), the binding is resolved here."""
        return self.url.get_value() if isinstance(self.url, EnvVar) else self.url

    def setup_for_execution(self, context: Any) -> None:
        """Fail resource setup, before any source is read, when the URL cannot work: it is
        malformed, names a database or driver this project cannot use, or no database
        answers there. The Failure says what to change and never repeats the password.

        Not checked again for a run that has already ended (Dagster's CLI sets resources
        up once more after the run to read its outputs): the run said why it failed.
        """
        if run_has_ended(context):
            return
        try:
            warehouse_url(self.resolved_url())
            with self.engine.connect():
                pass
        except WarehouseUrlError as exc:
            raise Failure(str(exc)) from None
        except (sa.exc.DBAPIError, OSError) as exc:  # OSError: a SQLite file's directory
            self.teardown_after_execution(context)
            raise Failure(unreachable(self.resolved_url(), exc)) from None

    def teardown_after_execution(self, context: Any) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    @contextmanager
    def writer(
        self,
        table: str,
        primary_key: Sequence[str],
        *,
        column_types: dict[str, str] | None = None,
        track_seen: bool = False,
        history_days: int = 0,
        transactions: Transactions | None = None,
    ):
        """A TableWriter on one connection, for one table, for one sync.

        With `history_days`, replaced versions are kept in `<table>__history` that long.
        Writers given the same `transactions` share its connection, so the caller can
        commit their writes together (`Transactions.held`); otherwise each writer has a
        connection of its own.
        """
        with (
            nullcontext(transactions.connection) if transactions else self.engine.connect()
        ) as connection:
            yield TableWriter(
                connection,
                identifier(table),
                [identifier(k) for k in primary_key],
                column_types={identifier(k): v for k, v in (column_types or {}).items()},
                synced_at=datetime.now(UTC),
                batch_size=self.batch_size or BATCH_SIZES[connection.dialect.name],
                track_seen=track_seen,
                history_days=history_days,
                transactions=transactions,
            )

    @contextmanager
    def transactions(self) -> Iterator[Transactions]:
        """A connection for several writers (`writer(transactions=...)`) to share."""
        with self.engine.connect() as connection:
            yield Transactions(connection)

    def writing(self) -> Any:
        """Hold this around each write when several threads write (concurrent streams).

        SQLite takes one writer at a time: a second one waits on busy_timeout, or fails
        at once with "database is locked" when its transaction began on a snapshot
        another writer has since changed. So on SQLite the writes of one process take
        turns here; PostgreSQL writers to different tables need no turn.
        """
        if self.engine.dialect.name == "sqlite":
            return self._write_turn
        return nullcontext()

    def table_names(self) -> list[str]:
        return sorted(sa.inspect(self.engine).get_table_names())

    def has_table(self, table: str) -> bool:
        return sa.inspect(self.engine).has_table(table)

    def row_count(self, table: str, *, include_deleted: bool = False) -> int:
        """Rows in `table` (0 when a sync has not created it yet)."""
        if not self.has_table(table):
            return 0
        t = sa.table(table, sa.column(DELETED))
        query = sa.select(sa.func.count()).select_from(t)
        if not include_deleted:
            query = query.where(t.c[DELETED].is_(False))
        with self.engine.connect() as connection:
            return connection.execute(query).scalar_one()

    def columns(self, table: str) -> list[tuple[str, str]]:
        """(name, logical type) for each column, in table order; none for a missing table."""
        if not self.has_table(table):
            return []
        inspected = sa.inspect(self.engine).get_columns(table)
        return [(c["name"], schema.reflected_type(c["type"])) for c in inspected]

    def rows(self, table: str, order_by: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Every row of a table as dicts; for tests and small reference tables."""
        t = sa.Table(table, sa.MetaData(), autoload_with=self.engine)
        query = sa.select(t).order_by(*[t.c[c] for c in order_by])
        with self.engine.connect() as connection:
            return [dict(r._mapping) for r in connection.execute(query)]


# Rows per batch, each one statement's worth. On PostgreSQL a batch is one binary COPY,
# whose cost per statement (a savepoint or a staging table, a round trip, the merge's
# plan) outweighs its cost per row: a page of 250 records with fourteen child rows
# each goes in one batch, not seven. SQLite showed no gain from larger batches.
BATCH_SIZES = {"postgresql": 5000, "sqlite": 500}


class WarehouseUrlError(ValueError):
    """The warehouse URL cannot be used; the message says what to change."""


SUPPORTED = "SQLite (sqlite:///path/to/file.db) and PostgreSQL (postgresql+psycopg://...)"
POSTGRES_EXTRA = "pip install -e '.[postgres]'"


def warehouse_url(url: str) -> sa.URL:
    """The parsed URL of a database this project can write, with its driver importable.

    Raises WarehouseUrlError naming the variable and what to change. The message never
    repeats the URL, which may hold a password.
    """
    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        raise WarehouseUrlError(
            f"{URL_VARIABLE} is not a database URL: write it as dialect+driver://user:password"
            "@host:port/database, for example postgresql+psycopg://user:password@host:5432/"
            f"warehouse or {DEFAULT_URL}."
        ) from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend not in ("sqlite", "postgresql"):
        raise WarehouseUrlError(
            f"{URL_VARIABLE} names a {backend!r} database, which crm_assets does not support; "
            f"it writes to {SUPPORTED}."
        )
    try:
        parsed.get_dialect().import_dbapi()
    except (ImportError, sa.exc.NoSuchModuleError):
        fix = (
            "use sqlite:///path/to/file.db"
            if backend == "sqlite"
            else f"use postgresql+psycopg:// and install its driver with {POSTGRES_EXTRA}"
        )
        raise WarehouseUrlError(
            f"{URL_VARIABLE} names {backend} through the driver {driver or 'default'!r}, which "
            f"is not installed: {fix}."
        ) from None
    return parsed


def unreachable(url: str, error: Exception) -> str:
    """One sentence for a database that did not let us connect: where, why, what to change.

    The driver's own text (which names the host, never the password) is the fallback;
    the password is masked from it all the same.
    """
    parsed = sa.engine.make_url(url)
    driver_text = str(getattr(error, "orig", None) or error).strip()
    said = Redactor([parsed.password or ""]).redact(
        driver_text.splitlines()[0] if driver_text else ""
    )
    lowered = driver_text.lower()
    if parsed.get_backend_name() == "sqlite":
        return (
            f"{URL_VARIABLE} names the SQLite file {parsed.database!r}, which cannot be opened "
            f"({said}): point {URL_VARIABLE} at a file in a directory this process may write."
        )
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    if "failed to resolve host" in lowered or "could not translate host name" in lowered:
        return (
            f"{URL_VARIABLE} names the host {parsed.host!r}, which does not resolve to an "
            f"address: correct the host in {URL_VARIABLE}."
        )
    if "connection refused" in lowered or "timeout expired" in lowered or "timed out" in lowered:
        how = "refused the connection" if "refused" in lowered else "did not answer in time"
        return (
            f"The PostgreSQL warehouse at {where} {how}: start the server there, or change "
            f"the host and port in {URL_VARIABLE}."
        )
    if "database" in lowered and "does not exist" in lowered:
        return (
            f"The PostgreSQL server at {where} has no database {parsed.database!r}: create it, "
            f"or change the database in {URL_VARIABLE}."
        )
    if "password authentication failed" in lowered or (
        "role " in lowered and "does not exist" in lowered
    ):
        return (
            f"The PostgreSQL server at {where} refused user {parsed.username!r}: correct the "
            f"user or password in {URL_VARIABLE}."
        )
    return (
        f"The PostgreSQL warehouse at {where} could not be reached as user {parsed.username!r} "
        f"({said}): check the server, or change {URL_VARIABLE}."
    )


# A server that drops packets instead of refusing would otherwise hold a run's setup for
# the operating system's TCP timeout (minutes): a warehouse answers well within this.
CONNECT_TIMEOUT_SECONDS = 10

# Each stream's sync holds a connection for its whole run, and several streams run at
# once, beside readers (the UI, checks): room for that without waiting.
_POOL = {"pool_size": 5, "max_overflow": 45}


def create_engine(url: str) -> Engine:
    parsed = warehouse_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30}, **_POOL)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        # Switching a file to WAL needs it to itself: do it now, before streams in
        # threads open their connections at once.
        with engine.connect():
            pass
        return engine
    connect_args = {}
    if "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    return sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args, **_POOL)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the UI and tests read while a sync writes; busy_timeout waits out
    # another writer instead of failing with "database is locked". With WAL,
    # synchronous=NORMAL cannot corrupt the file; a power cut may lose the last
    # batches, which the next run of the partition writes again.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
