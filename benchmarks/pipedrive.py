"""`python -m benchmarks.pipedrive --scale 1`: a Pipedrive full sync, measured.

Scale 1 is 20,000 deals, 10,000 persons, 5,000 organizations and 30,000
activities. The emulator's burst limit is lifted so the client's own work is
what is measured; pass `--window 20` to see the lowest plan's pace instead.
`--skip deals_flow` leaves out the one-call-per-deal history.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools

from benchmarks.harness import add_arguments, run
from crm_assets.sources.pipedrive.emulator import PipedriveEmulator
from crm_assets.sources.pipedrive.resource import PipedriveResource
from crm_assets.sources.pipedrive.streams import SOURCE

TOKEN = "benchmark-token"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--window", type=int, default=100_000, help="requests per 2 s")
    parser.add_argument("--skip", nargs="*", default=["deals_flow"], help="streams to leave out")
    add_arguments(parser)
    args = parser.parse_args()
    factory = functools.partial(
        PipedriveEmulator, token=TOKEN, scale=args.scale, burst_limit=max(args.window, 20)
    )
    source = dataclasses.replace(
        SOURCE, streams=tuple(s for s in SOURCE.streams if s.name not in set(args.skip))
    )
    run(
        source,
        lambda url: PipedriveResource(
            api_token=TOKEN, base_url=url, requests_per_window=args.window
        ),
        factory,
        args,
    )


if __name__ == "__main__":
    main()
