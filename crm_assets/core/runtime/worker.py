"""Which process runs a run, whether it is still alive, and what to say when it is not.

A run's worker is named in the run tag `crm/run_worker` as `host=<host> pid=<pid>
started=<UTC time>`, readable in the UI's runs list. The start time (to the clock
tick, from /proc) tells a live worker from a later process that reused its pid. Only
Linux exposes it; elsewhere no name is recorded and nothing is ever judged dead.
"""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

WORKER_TAG = "crm/run_worker"

# The event that says a run's worker died opens with this (and is written once a run).
GONE = "The run's worker process"


class Liveness(Enum):
    ALIVE = "alive"
    DEAD = "dead"
    # Another host's process, or no /proc: it cannot be checked from here.
    UNKNOWN = "unknown"


def this_process() -> str | None:
    """This process's name for the worker tag, or None where it cannot be checked."""
    started = _started(os.getpid())
    if started is None:
        return None
    return f"host={socket.gethostname()} pid={os.getpid()} started={started}"


def parse(worker: str | None) -> tuple[str, int, str] | None:
    """(host, pid, started) of a worker tag, or None when it names no worker."""
    fields = dict(part.partition("=")[::2] for part in (worker or "").split(" "))
    try:
        return fields["host"], int(fields["pid"]), fields["started"]
    except (KeyError, ValueError):
        return None


def liveness(worker: str | None) -> Liveness:
    """Whether the process named `worker` (as `this_process` names it) still runs."""
    named = parse(worker) or _legacy(worker)
    if named is None:
        return Liveness.UNKNOWN
    host, pid, started = named
    if host != socket.gethostname() or _started(os.getpid()) is None:
        return Liveness.UNKNOWN
    now = str(_start_ticks(pid)) if started.isdigit() else _started(pid)
    if now != started:
        return Liveness.DEAD
    return Liveness.ALIVE


def _legacy(worker: str | None) -> tuple[str, int, str] | None:
    """A tag written before workers were named readably, `<host> <pid> <ticks>`: so a
    run killed before an upgrade is still found dead and gives its pool slot back."""
    try:
        host, pid, ticks = (worker or "").split(" ")
        return (host, int(pid), ticks) if ticks.isdigit() else None
    except ValueError:
        return None


def _started(pid: int) -> str | None:
    """When the process started, in UTC to the clock tick, or None if it has exited."""
    ticks = _start_ticks(pid)
    if ticks is None:
        return None
    hertz = os.sysconf("SC_CLK_TCK")
    whole, part = divmod(ticks, hertz)
    at = datetime.fromtimestamp(_boot_time() + whole, UTC)
    return f"{at:%Y-%m-%dT%H:%M:%S}.{part * 100 // hertz:02d}Z"


def _boot_time() -> int:
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("btime "):
            return int(line.split()[1])
    raise OSError("/proc/stat has no btime")


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot, or None if it has exited
    (a zombie has exited too)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; the fields after it are plain.
    fields = stat.rsplit(")", 1)[1].split()
    state, started = fields[0], fields[19]
    return None if state in ("Z", "X") else int(started)


def shown(worker: str | None) -> str:
    """The worker as a sentence says it: "pid 21696 on vm"."""
    named = parse(worker) or _legacy(worker)
    return f"pid {named[1]} on {named[0]}" if named else str(worker)


def gone_notice(instance: Any, run_id: str, worker: str | None, *, found_by: str) -> str:
    """What an operator needs to know of a run whose worker died: which process, how it
    ended, when, and what the run had written, from the run's own event log.

    A worker that got SIGINT or SIGTERM cancels its run, so one that vanished without
    a word was killed by a signal no process can answer (SIGKILL: `kill -9`, or the
    kernel's out-of-memory killer) or crashed. When the process that started it saw it
    end, Dagster logged the signal; the notice repeats it.
    """
    from dagster import DagsterEventType

    storage = instance.event_log_storage
    last = storage.get_logs_for_run(run_id, limit=1, ascending=False)
    heard = _clock(last[0].timestamp) if last else "never"
    how = (
        "It ended without a word, as only an uncatchable signal (SIGKILL: kill -9, or the "
        "kernel's out-of-memory killer) or a crash ends it; SIGINT and SIGTERM cancel a run"
    )
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT):
        signal = re.search(r"terminated by signal (\d+) \((\w+)\)", entry.message or "")
        if signal:
            how = f"It was terminated by signal {signal[1]} ({signal[2]})"
    written = []
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION):
        materialization = entry.asset_materialization
        counts = {k: v.value for k, v in materialization.metadata.items()}
        detail = ""
        if "rows_inserted" in counts and "rows_updated" in counts:
            detail = f" ({counts['rows_inserted']} rows inserted, {counts['rows_updated']} updated)"
        written.append(f"{materialization.asset_key.to_user_string()}{detail}")
    if written:
        done = f"Materialized by then: {'; '.join(written)}."
    else:
        done = "Nothing had been materialized by then."
    return (
        f"{GONE} ({shown(worker)}) is gone, found by {found_by} at {_clock()}; the run's last "
        f"event was at {heard}. {how}. {done} Pages written by streams under way stay; "
        "re-running the partition resumes."
    )


def report_gone(instance: Any, run: Any, worker: str | None, *, found_by: str) -> bool:
    """Write `gone_notice` as an event of the run, once a run; True if written now."""
    from dagster import DagsterEventType

    for entry in instance.all_logs(run.run_id, of_type=DagsterEventType.ENGINE_EVENT):
        if (entry.message or "").startswith(GONE):
            return False
    notice = gone_notice(instance, run.run_id, worker, found_by=found_by)
    instance.report_engine_event(notice, run)
    return True


def _clock(timestamp: float | None = None) -> str:
    at = datetime.fromtimestamp(timestamp, UTC) if timestamp else datetime.now(UTC)
    return f"{at:%Y-%m-%d %H:%M:%S} UTC"


def orphan_check(
    worker: str | None, on_death: Callable[[], None] | None = None
) -> Callable[[], None]:
    """A check for a step process: raises WorkerGone once the run's worker has died.

    A step process outlives a SIGKILLed worker (its parent) and would go on writing
    while run monitoring fails the run and frees its slot for the next run. The first
    thread to see the death calls `on_death` (to report it) before raising.
    """
    first = threading.Lock()

    def check() -> None:
        if liveness(worker) == Liveness.DEAD:
            if on_death is not None and first.acquire(blocking=False):
                on_death()
            raise WorkerGone(
                f"{GONE} ({shown(worker)}) is gone, so this step stops: rows already "
                "written stay, and re-running the partition resumes."
            )

    return check


class WorkerGone(Exception):
    """The process that ran this step's run has died."""
