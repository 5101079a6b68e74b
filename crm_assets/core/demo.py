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


def demo_host(source: str) -> str:
    return f"http://{source}.demo.invalid/"


def is_demo_url(source: str, url: str) -> bool:
    return url.startswith(demo_host(source))
