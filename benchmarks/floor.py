"""`python -m benchmarks.floor`: what one page of Pipedrive deals costs at the least.

The local pipeline's floor: each step a page must go through, timed alone on one
page of 500 deals (about 1 KB each) with no flattening, typing or change detection
of ours, in microseconds per record. Beside them, the ways of doing the same work
inside the database (SQLite's and PostgreSQL's JSON functions) or with Arrow (only
when pyarrow is installed; it is not a dependency). BENCHMARKS.md, "Against the
target", reads these figures.
"""

from __future__ import annotations

import argparse
import io
import sqlite3
import tempfile
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

import orjson
import requests

from benchmarks.harness import POSTGRES_URL
from crm_assets.core.emulation import serve
from crm_assets.sources.pipedrive.emulator import PipedriveEmulator

TOKEN = "floor-token"


def per_record(work: Callable[[int], object], records: int, repeat: int) -> float:
    """Microseconds per record of `work(i)`, the best of three rounds of `repeat` calls."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for i in range(repeat):
            work(i)
        best = min(best, time.perf_counter() - started)
    return best / repeat / records * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with serve(PipedriveEmulator(token=TOKEN, scale=1)) as url:
        params = {"api_token": TOKEN, "limit": 500}
        body = requests.get(f"{url}/api/v2/deals", params=params, timeout=30).content
    deals = orjson.loads(body)["data"]
    n, keys = len(deals), list(deals[0])
    print(f"one page: {n} deals, {len(body):,} bytes, {len(keys)} fields\n")
    figures: list[tuple[str, float]] = []

    def measure(label: str, work: Callable[[int], object]) -> None:
        figures.append((label, per_record(work, n, args.repeat)))
        print(f"{figures[-1][1]:8.1f} µs/record  {label}")

    def as_text(value: object) -> object:
        return orjson.dumps(value).decode() if isinstance(value, list | dict) else value

    def rows() -> list[tuple]:
        return [tuple(as_text(d.get(k)) for k in keys) for d in deals]

    measure("decode the page (orjson)", lambda i: orjson.loads(body))
    # A sync keeps a page's objects while it writes them and reads the next: memory the
    # allocator cannot hand straight back, as it can to a page dropped at once.
    kept: deque = deque(maxlen=4)
    measure("decode, the last four pages kept alive", lambda i: kept.append(orjson.loads(body)))
    kept.clear()
    measure("a tuple per record, nested values as JSON text", lambda i: rows())
    built = rows()
    names = ", ".join(f'"{k}"' for k in keys)
    marks = ", ".join("?" for _ in keys)
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(Path(tmp) / "floor.db")
        db.execute(f"CREATE TABLE deals ({names}, PRIMARY KEY (id))")
        db.execute(f"CREATE TEMP TABLE stage ({names})")

        def load(i: int) -> None:
            db.execute("DELETE FROM stage")
            db.executemany(f"INSERT INTO stage VALUES ({marks})", built)  # noqa: S608

        def load_and_insert(i: int) -> None:
            load(i)
            db.execute("UPDATE stage SET id = id + ?", ((i + 1) * 10**7,))
            db.execute("INSERT INTO deals SELECT * FROM stage WHERE true ON CONFLICT DO NOTHING")
            db.commit()

        measure("SQLite: executemany into a staging table", load)
        load_cost = figures[-1][1]
        measure("SQLite: the same, then INSERT ... SELECT and commit", load_and_insert)
        print(f"{figures[-1][1] - load_cost:8.1f} µs/record  (of which the insert and commit)")
        extract = ", ".join(f"json_extract(value, '$.{k}')" for k in keys)
        text = body.decode()
        measure(
            f"SQLite {sqlite3.sqlite_version}: json_each and json_extract from the page",
            lambda i: db.execute(
                f"INSERT INTO stage SELECT {extract} FROM json_each(?, '$.data')",  # noqa: S608
                (text,),
            ),
        )
        db.close()
    _postgres(measure, keys, built, body.decode())
    _arrow(measure, body)


def _postgres(measure, keys: list[str], built: list[tuple], text: str) -> None:
    try:
        import psycopg

        connection = psycopg.connect(
            POSTGRES_URL.replace("postgresql+psycopg", "postgresql"), autocommit=True
        )
    except Exception as exc:  # no server: the other figures still stand
        print(f"PostgreSQL figures skipped: {type(exc).__name__}")
        return
    columns = ", ".join(f'"{k}" text' for k in keys)
    with connection:
        connection.execute(f"CREATE TEMP TABLE stage ({columns})")

        def copy(i: int) -> None:
            connection.execute("TRUNCATE stage")
            with connection.cursor().copy("COPY stage FROM STDIN") as load:
                for row in built:
                    load.write_row(row)

        measure("PostgreSQL: COPY into a staging table (write_row)", copy)
        for function in ("json_to_recordset", "jsonb_to_recordset"):
            kind = function.split("_")[0]
            source = f"{function}(%s::{kind} -> 'data') AS x({columns})"
            statement = f"INSERT INTO stage SELECT * FROM {source}"  # noqa: S608 (names we made)
            measure(
                f"PostgreSQL: {function} from the page",
                lambda i, statement=statement: connection.execute(statement, (text,)),
            )


def _arrow(measure, body: bytes) -> None:
    try:
        import pyarrow.json as arrow_json
    except ImportError:
        print("Arrow figure skipped: pyarrow is not installed")
        return

    def parse(i: int) -> None:
        table = arrow_json.read_json(io.BytesIO(body))
        table.column("data").combine_chunks().flatten().flatten()

    measure("Arrow: parse the page and split its records into columns", parse)


if __name__ == "__main__":
    main()
