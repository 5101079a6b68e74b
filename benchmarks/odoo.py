"""`python -m benchmarks.odoo --scale 1`: an Odoo full sync of the five models, measured.

Scale 1 is 2,500 payments, 1,500 quotations (about 500 policies, 950 certificates
and 3,300 coverages). `--version 17` reads over JSON-RPC instead of JSON-2. The
client's rate limit is lifted so the connector's own work is what is measured.
`--latency 0.1 --live --prefetch 5` measures full reads in id ranges, five requested at
once, against a server that takes 100 ms a request.
"""

from __future__ import annotations

import argparse
import functools

from benchmarks.harness import add_arguments, run
from crm_assets.sources.odoo.emulator import OdooEmulator
from crm_assets.sources.odoo.resource import OdooResource
from crm_assets.sources.odoo.streams import SOURCE

TOKEN = "benchmark-key"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--version", type=int, default=19, choices=(17, 18, 19))
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="emulator seconds a request (replayed answers skip it: measure with --live)",
    )
    add_arguments(parser)
    args = parser.parse_args()
    factory = functools.partial(OdooEmulator, token=TOKEN, scale=args.scale, version=args.version,
                                latency=args.latency)  # fmt: skip
    run(
        SOURCE,
        lambda url: OdooResource(
            api_key=TOKEN,
            base_url=url,
            login="admin",
            page_size=args.page_size,
            requests_per_second=100_000,
        ),
        factory,
        args,
    )


if __name__ == "__main__":
    main()
