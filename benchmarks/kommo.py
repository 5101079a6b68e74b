"""`python -m benchmarks.kommo --leads 10000`: a Kommo full sync, measured.

The default account is 10,000 leads, 5,000 contacts, 2,000 companies, 5,000 tasks
and 3,000 notes per entity. The emulator's 7-per-second limit is lifted so the
client's own work is what is measured; pass `--rate 7` to see Kommo's real pace
(about 1,750 leads a second at 250 a page).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools

from benchmarks.harness import add_arguments, run
from crm_assets.sources.kommo.emulator import KommoEmulator
from crm_assets.sources.kommo.emulator.data import DEFAULT_SIZES
from crm_assets.sources.kommo.resource import KommoResource
from crm_assets.sources.kommo.streams import SOURCE

TOKEN = "benchmark-token"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=DEFAULT_SIZES["leads"])
    parser.add_argument("--rate", type=float, default=100_000, help="requests per second")
    parser.add_argument("--skip", nargs="*", default=[], help="streams to leave out")
    add_arguments(parser)
    args = parser.parse_args()
    scale = args.leads / DEFAULT_SIZES["leads"]
    sizes = {name: max(1, int(n * scale)) for name, n in DEFAULT_SIZES.items()}
    factory = functools.partial(
        KommoEmulator, token=TOKEN, sizes=sizes, per_second=max(int(args.rate), 7)
    )
    source = dataclasses.replace(
        SOURCE, streams=tuple(s for s in SOURCE.streams if s.name not in set(args.skip))
    )
    run(
        source,
        lambda url: KommoResource(
            access_token=TOKEN, base_url=f"{url}/api/v4/", requests_per_second=args.rate
        ),
        factory,
        args,
    )


if __name__ == "__main__":
    main()
