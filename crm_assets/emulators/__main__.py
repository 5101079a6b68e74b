"""`python -m crm_assets.emulators <source> --port P`: serve one emulator until stopped.

SIGINT (Ctrl-C) and SIGTERM stop it between requests, with exit status 0 and no
traceback. Python runs signal handlers in the main thread only, and only when that
thread runs Python code, which a signal delivered to another thread does not make it
do; so the main thread waits in short steps.
"""

from __future__ import annotations

import signal
import sys
import threading

from crm_assets.core.serving import EmulatorServer
from crm_assets.emulators.options import parse
from crm_assets.emulators.sandboxes import SANDBOXES

STEP_SECONDS = 0.2
# How often the request log is emptied: the tests read it, a sandbox has nobody to, and
# over days of requests it would grow without bound.
FORGET_EVERY_STEPS = 300


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    sandbox = SANDBOXES[args.source]
    app = sandbox.build(args)
    server = EmulatorServer(app, args.host, args.port)
    server.start()
    try:
        print(f"serving {args.source} on {server.url}")
        for label, text in sandbox.guide(server.url, app, args):
            print(f"  {label + ':':<12}{text}")
        print("Ctrl-C stops it.", flush=True)
        steps = 0
        while not stop.wait(STEP_SECONDS):
            steps += 1
            if steps % FORGET_EVERY_STEPS == 0:
                app.reset_log()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
