"""Long-running Dagster and Celery processes for a test, each stopped by its group."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path


@contextmanager
def process_group(
    args: Sequence[str], *, env: dict[str, str], cwd: Path, log: Path
) -> Iterator[subprocess.Popen]:
    """Runs `args` in a session of its own and stops it, children included, on exit.

    Commands such as `dagster-celery worker start` or `dagster-webserver` spawn the
    processes that do the work; signalling the whole group stops those too.
    """
    with open(log, "wb") as output:
        process = subprocess.Popen(
            list(args), env=env, cwd=cwd, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            yield process
        finally:
            stop_group(process)


def stop_group(process: subprocess.Popen, grace_seconds: float = 15) -> None:
    """SIGTERM to the group; SIGKILL to whatever still lives after the grace period."""
    group = process.pid
    _signal(group, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline:
        process.poll()
        if not live_members(group):
            break
        time.sleep(0.1)
    else:
        _signal(group, signal.SIGKILL)
    process.wait(timeout=30)


def live_members(group: int) -> list[int]:
    """The pids of the group's processes that still run (zombies are done)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        state, pgrp = fields[0], int(fields[2])
        if pgrp == group and state != "Z":
            pids.append(int(stat.parent.name))
    return pids


def _signal(group: int, signum: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(group, signum)


def tail(log: Path, chars: int = 3000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else ""
