"""Telling a run's live worker from a dead one, on this host only."""

from __future__ import annotations

import subprocess
import sys

import pytest

from crm_assets.core.worker import Liveness, WorkerGone, liveness, orphan_check, this_process


def test_this_process_is_alive_and_an_exited_one_is_dead():
    me = this_process()
    assert liveness(me) == Liveness.ALIVE
    orphan_check(me)()  # a live worker: the step goes on

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    host, _, started = me.split(" ")
    child.wait()
    # Same host, a pid that no longer runs (or was reused by a process started later).
    gone = f"{host} {child.pid} {started}"
    assert liveness(gone) == Liveness.DEAD
    with pytest.raises(WorkerGone, match="re-running the partition resumes"):
        orphan_check(gone)()


@pytest.mark.parametrize("worker", [None, "", "garbage", "another-host 1 12345"])
def test_what_cannot_be_checked_here_is_never_judged_dead(worker):
    assert liveness(worker) == Liveness.UNKNOWN
    orphan_check(worker)()
