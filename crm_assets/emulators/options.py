"""The command line of `python -m crm_assets.emulators`: which emulator, where, and how.

Every option a source cannot honour is refused rather than ignored, so a sandbox never
runs with a setting its user believes is in force: `--version`, `--database` and
`--login` are Odoo's, and Kommo's data has no seed (each record is computed from its
index). `--no-rate-limit` is accepted for every source: NectarCRM and Odoo document
no limit, so their emulators have none to lift.
"""

from __future__ import annotations

import argparse

SOURCES = ("nectarcrm", "pipedrive", "kommo", "odoo")
ODOO_VERSIONS = (17, 18, 19)
ODOO_ONLY = ("version", "database", "login")
SEEDLESS = {"kommo"}

DESCRIPTION = """\
Serve one vendor's emulator until stopped (Ctrl-C or SIGTERM), for any tool to be
pointed at: the vendor's auth, errors, paging and rate limits, on seeded data whose
last updates fall on today. Prints `serving <source> on <URL>` once it accepts
connections, then the base URL and credentials a client should use."""


def parser() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(
        prog="python -m crm_assets.emulators",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    options.add_argument("source", choices=SOURCES, help="the vendor whose API to serve")
    options.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; 0.0.0.0 opens it to the network)",
    )
    options.add_argument(
        "--port", type=_port, default=0, help="port to listen on (default 0: a free one)"
    )
    options.add_argument(
        "--token",
        metavar="T",
        help="the credential it accepts: NectarCRM token, Pipedrive API token, Kommo "
        "long-lived token, Odoo API key (also the password of Odoo's legacy login); "
        "printed at start, so never a real one (default: the emulator's demo credential)",
    )
    options.add_argument(
        "--latency-ms",
        type=_not_negative,
        default=0.0,
        metavar="MS",
        help="milliseconds every answer waits before it is sent (default 0)",
    )
    options.add_argument(
        "--no-rate-limit",
        action="store_true",
        help="lift the vendor's rate limit, on by default: Pipedrive 20 requests per "
        "2 s per token, Kommo 7 per second (NectarCRM and Odoo document none)",
    )
    options.add_argument(
        "--scale",
        type=_positive,
        default=1.0,
        help="multiplies the number of records of the default data set (default 1)",
    )
    options.add_argument(
        "--seed",
        type=int,
        help="seed of the generated data (default: the emulator's own; Kommo has none)",
    )
    odoo = options.add_argument_group("Odoo")
    odoo.add_argument(
        "--version",
        type=int,
        choices=ODOO_VERSIONS,
        help="the server's major version (default 19); JSON-2 exists from 19 on",
    )
    odoo.add_argument("--database", metavar="D", help="the one database's name (default mutual)")
    odoo.add_argument(
        "--login", metavar="L", help="the API key's user, for the legacy login (default admin)"
    )
    return options


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The options, checked against the source; a wrong one exits with status 2."""
    options = parser()
    args = options.parse_args(argv)
    if args.source != "odoo":
        given = [f"--{name}" for name in ODOO_ONLY if getattr(args, name) is not None]
        if given:
            options.error(f"{', '.join(given)}: only for odoo")
    if args.source in SEEDLESS and args.seed is not None:
        options.error(f"--seed: {args.source}'s records are computed from their index, unseeded")
    return args


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65_535:
        raise argparse.ArgumentTypeError(f"{port} is not a port (0 to 65535)")
    return port


def _not_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not above 0")
    return value
