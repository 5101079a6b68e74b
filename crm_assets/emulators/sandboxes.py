"""Each source's emulator built from the command line's options, and what a client needs
to reach it: where its API lives, which credential it takes and how that travels, and
the limits it enforces.

Each emulator keeps its own defaults for whatever the command line leaves unsaid: its
demo credential, its seed, the size of its data set.
"""

from __future__ import annotations

from argparse import Namespace
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from crm_assets.core.emulation import EmulatorApp
from crm_assets.sources.kommo.emulator import KommoEmulator
from crm_assets.sources.nectarcrm.emulator import NectarCrmEmulator
from crm_assets.sources.odoo.emulator import OdooEmulator
from crm_assets.sources.pipedrive.emulator import PipedriveEmulator

# A limit no client reaches: what `--no-rate-limit` sets where the vendor has one.
UNREACHABLE = 1_000_000_000
NO_LIMIT = "none (the vendor documents none)"

Guide = list[tuple[str, str]]


@dataclass(frozen=True)
class Sandbox:
    """How one source's emulator is built, and the lines that tell a client how to reach it."""

    build: Callable[[Namespace], EmulatorApp]
    # (base URL, the emulator, the options) -> (label, text) lines for the client's user
    guide: Callable[[str, Any, Namespace], Guide]


def _common(args: Namespace) -> dict[str, Any]:
    """The constructor arguments every emulator takes, those the options set (`--seed`
    only reaches a seeded emulator: `options.parse` refuses it for the others)."""
    settings: dict[str, Any] = {"latency": args.latency_ms / 1000, "scale": args.scale}
    if args.token is not None:
        settings["token"] = args.token
    if args.seed is not None:
        settings["seed"] = args.seed
    return settings


def _limit(args: Namespace, vendor: str) -> str:
    return (
        "none (--no-rate-limit)" if args.no_rate_limit else f"{vendor} (--no-rate-limit lifts it)"
    )


# -- NectarCRM -------------------------------------------------------------------------


def _nectarcrm(args: Namespace) -> EmulatorApp:
    return NectarCrmEmulator(**_common(args))


def _nectarcrm_guide(url: str, app: Any, args: Namespace) -> Guide:
    return [
        ("base URL", f"{url}/crm/api/1/"),
        ("token", f"{app.token}, in the Access-Token header or ?api_token="),
        ("rate limit", NO_LIMIT),
    ]


# -- Pipedrive -------------------------------------------------------------------------


def _pipedrive(args: Namespace) -> EmulatorApp:
    limit = {"burst_limit": UNREACHABLE} if args.no_rate_limit else {}
    return PipedriveEmulator(**_common(args), **limit)


def _pipedrive_guide(url: str, app: Any, args: Namespace) -> Guide:
    return [
        ("base URL", f"{url} (v2 under /api/v2/, v1 under /api/v1/ and /v1/)"),
        ("API token", f"{app.token}, in the x-api-token header, ?api_token= or as a Bearer"),
        ("rate limit", _limit(args, "20 requests per 2 s per token, then 429 and a 403 block")),
    ]


# -- Kommo -----------------------------------------------------------------------------


def _kommo(args: Namespace) -> EmulatorApp:
    limit = {"per_second": UNREACHABLE} if args.no_rate_limit else {}
    return KommoEmulator(**_common(args), **limit)


def _kommo_guide(url: str, app: Any, args: Namespace) -> Guide:
    return [
        ("base URL", f"{url}/api/v4/"),
        ("token", f"{app.token}, as `Authorization: Bearer {app.token}`"),
        ("rate limit", _limit(args, "7 requests per second, then 429 and a 403 block")),
    ]


# -- Odoo ------------------------------------------------------------------------------


def _odoo(args: Namespace) -> EmulatorApp:
    settings = _common(args)
    if args.version is not None:
        settings["version"] = args.version
    if args.database is not None:
        settings["databases"] = (args.database,)
    if args.login is not None:
        settings["login"] = args.login
    return OdooEmulator(**settings)


def _odoo_guide(url: str, app: Any, args: Namespace) -> Guide:
    protocols = "JSON-RPC (/jsonrpc), XML-RPC (/xmlrpc/2/...), web session (/web/session/...)"
    key = f"{app.token}, also the login's password for JSON-RPC and XML-RPC"
    if app.version >= 19:
        protocols = f"JSON-2 (/json/2/<model>/<method>), {protocols}"
        key += f"; for JSON-2 `Authorization: bearer {app.token}`"
    return [
        ("URL", f"{url} (Odoo {app.version}.0: {protocols})"),
        ("database", ", ".join(app.databases)),
        ("login", app.login),
        ("API key", key),
        ("password", f"{app.password}, which the web session login needs (a key is refused)"),
        ("rate limit", NO_LIMIT),
    ]


SANDBOXES = {
    "nectarcrm": Sandbox(_nectarcrm, _nectarcrm_guide),
    "pipedrive": Sandbox(_pipedrive, _pipedrive_guide),
    "kommo": Sandbox(_kommo, _kommo_guide),
    "odoo": Sandbox(_odoo, _odoo_guide),
}
