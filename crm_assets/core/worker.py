"""Which process runs a run, and whether it is still alive.

A run's worker is named `<host> <pid> <start time>`: the start time (clock ticks since
boot, from /proc) tells a live worker from a later process that reused its pid. Only
Linux exposes it; elsewhere no name is recorded and nothing is ever judged dead.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from enum import Enum
from pathlib import Path

WORKER_TAG = "crm/run_worker"


class Liveness(Enum):
    ALIVE = "alive"
    DEAD = "dead"
    # Another host's process, or no /proc: it cannot be checked from here.
    UNKNOWN = "unknown"


def this_process() -> str | None:
    started = _start_ticks(os.getpid())
    if started is None:
        return None
    return f"{socket.gethostname()} {os.getpid()} {started}"


def liveness(worker: str | None) -> Liveness:
    """Whether the process named `worker` (as `this_process` names it) still runs."""
    try:
        host, pid, started = (worker or "").split(" ")
        pid_number = int(pid)
    except ValueError:
        return Liveness.UNKNOWN
    if host != socket.gethostname() or _start_ticks(os.getpid()) is None:
        return Liveness.UNKNOWN
    if _start_ticks(pid_number) != started:
        return Liveness.DEAD
    return Liveness.ALIVE


def _start_ticks(pid: int) -> str | None:
    """The process's start time, or None if it has exited (a zombie has exited too)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; the fields after it are plain.
    fields = stat.rsplit(")", 1)[1].split()
    state, started = fields[0], fields[19]
    return None if state in ("Z", "X") else started


def orphan_check(worker: str | None) -> Callable[[], None]:
    """A check for a step process: raises WorkerGone once the run's worker has died.

    A step process outlives a SIGKILLed worker (its parent) and would go on writing
    while run monitoring fails the run and frees its slot for the next run.
    """

    def check() -> None:
        if liveness(worker) == Liveness.DEAD:
            raise WorkerGone(
                f"The run's worker process ({worker}) is gone, so this step stops: rows "
                "already written stay, and re-running the partition resumes."
            )

    return check


class WorkerGone(Exception):
    """The process that ran this step's run has died."""
