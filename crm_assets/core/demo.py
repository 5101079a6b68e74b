"""Demo mode: every source talks to its built-in emulator instead of the vendor.

`CRM_ASSETS_DEMO=1` changes only a resource's base URL, to a `.invalid` host
served in-process by the source's emulator through a requests transport adapter.
Requests still go through the same client: rate limit, retries, parsing. The
`.invalid` host cannot resolve, so a missing adapter fails at once.
"""

from __future__ import annotations

import os

DEMO_VARIABLE = "CRM_ASSETS_DEMO"


def demo_mode() -> bool:
    return os.getenv(DEMO_VARIABLE, "").strip().lower() in {"1", "true", "yes"}


def demo_host(connection: str) -> str:
    """The demo host of a connection (a source's own connection is named after it)."""
    # Underscores are not allowed in host names; connection names have them.
    return f"http://{connection.replace('_', '-')}.demo.invalid/"


def is_demo_url(connection: str, url: str) -> bool:
    return url.startswith(demo_host(connection))
