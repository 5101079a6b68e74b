"""`python -m benchmarks.nectarcrm --scale 10`: a NectarCRM full sync, measured.

Scale 1 is 2,000 contacts and 3,000 opportunities; memory should not grow with it.
"""

from __future__ import annotations

import argparse
import functools

from benchmarks.harness import add_arguments, run
from crm_assets.sources.nectarcrm.emulator import NectarCrmEmulator
from crm_assets.sources.nectarcrm.resource import NectarCrmResource
from crm_assets.sources.nectarcrm.streams import SOURCE

TOKEN = "benchmark-token"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rps", type=float, default=1000.0, help="client rate limit")
    parser.add_argument("--latency", type=float, default=0.0, help="emulator seconds/request")
    add_arguments(parser)
    args = parser.parse_args()
    factory = functools.partial(
        NectarCrmEmulator, token=TOKEN, scale=args.scale, latency=args.latency
    )
    run(
        SOURCE,
        lambda url: NectarCrmResource(
            api_token=TOKEN, base_url=f"{url}/crm/api/1/", requests_per_second=args.rps
        ),
        factory,
        args,
    )


if __name__ == "__main__":
    main()
