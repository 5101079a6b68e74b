"""Pipedrive's rate limits as the emulator enforces them.

docs/pipedrive-api.md, "Rate limiting", and the vendor page
core-api-concepts-rate-limiting:
- burst: N requests per 2-second window per token (20 on the lowest plan with an
  API token); every response carries `x-ratelimit-limit`, `x-ratelimit-remaining`
  and `x-ratelimit-reset` (seconds until the window resets); over it, 429 with a
  JSON body `{"success": false, "error": "Request over limit", ...}`;
- abuse: a client that keeps going after 429s meets a Cloudflare 403 HTML page
  for a while (Airbyte's 403 message and the third-party research describe it);
- daily budget: a per-company token budget reset at midnight (UTC here), each
  request costing tokens by endpoint; shown in `x-daily-ratelimit-token-limit` /
  `x-daily-ratelimit-token-remaining` (seen live, undocumented).

Time comes from a monotonic `clock` (tests pass their own); the wall-clock time
needed for "midnight" is the wall time at construction plus the clock's progress.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.wrappers import Response

from crm_assets.core.emulation import AbuseBlock

# Token costs by request kind, after the vendor's published table: a v1 list costs
# 20, a v1 single object 2; v2 endpoints cost half their v1 equivalents.
COSTS = {("v1", "list"): 20, ("v1", "single"): 2, ("v2", "list"): 10, ("v2", "single"): 1}

DAY = 86_400

BLOCK_PAGE = """<!DOCTYPE html>
<html lang="en-US">
<head><title>Attention Required! | Cloudflare</title>
<meta charset="UTF-8"><meta name="robots" content="noindex, nofollow"></head>
<body>
<div id="cf-wrapper"><div id="cf-error-details" class="cf-error-details-wrapper">
<h1 data-translate="block_headline">Sorry, you have been blocked</h1>
<h2 class="cf-subheadline">You are unable to access pipedrive.com</h2>
<p>This website is using a security service to protect itself from online attacks.
The action you just performed triggered the security solution.</p>
<p>Cloudflare Ray ID: <strong>{ray}</strong> &bull; Performance &amp; security by Cloudflare</p>
</div></div>
</body>
</html>
"""


@dataclass
class _Window:
    abuse: AbuseBlock
    started: float = -math.inf
    used: int = 0


class RateLimiter:
    """Burst windows and abuse blocks per token, and one daily budget for the company."""

    def __init__(
        self,
        *,
        burst_limit: int,
        daily_budget: int | None,
        abuse_threshold: int,
        abuse_window: float,
        block_seconds: float,
        clock: Callable[[], float],
        window_seconds: float = 2.0,
    ):
        self.burst_limit = burst_limit
        self.daily_budget = daily_budget
        self.abuse_threshold = abuse_threshold
        self.abuse_window = abuse_window
        self.block_seconds = block_seconds
        self.window_seconds = window_seconds
        self.clock = clock
        self._wall0 = time.time() - clock()
        self._windows: dict[str, _Window] = {}
        self._spent = 0
        self._spent_day = self._day(clock())
        self._blocks = 0

    # -- burst and abuse -----------------------------------------------------------

    def blocked(self, token: str, now: float) -> bool:
        return self._window(token).abuse.blocked(now)

    def take(self, token: str, now: float) -> bool:
        """Count one request in the token's window; False when the window is full."""
        window = self._window(token)
        if now - window.started >= self.window_seconds:
            window.started, window.used = now, 0
        if window.used >= self.burst_limit:
            return False
        window.used += 1
        return True

    def rejected(self, token: str, now: float) -> None:
        """Note a 429; too many of them inside `abuse_window` starts a block."""
        self._window(token).abuse.rejected(now)

    def burst_headers(self, token: str, now: float) -> dict[str, str]:
        window = self._window(token)
        left = max(0.0, window.started + self.window_seconds - now)
        return {
            "x-ratelimit-limit": str(self.burst_limit),
            "x-ratelimit-remaining": str(max(0, self.burst_limit - window.used)),
            "x-ratelimit-reset": str(max(1, math.ceil(left))),
        }

    def block_page(self) -> Response:
        self._blocks += 1
        ray = f"{0x7F3A9C1E0B5D4000 + self._blocks:x}-FRA"
        response = Response(BLOCK_PAGE.replace("{ray}", ray), status=403, content_type="text/html")
        response.headers["server"] = "cloudflare"
        response.headers["cf-ray"] = ray
        return response

    # -- daily budget --------------------------------------------------------------

    def affordable(self, cost: int, now: float) -> bool:
        if self.daily_budget is None:
            return True
        self._roll_day(now)
        return self._spent + cost <= self.daily_budget

    def spend(self, cost: int, now: float) -> None:
        if self.daily_budget is not None:
            self._roll_day(now)
            self._spent += cost

    def daily_headers(self, now: float) -> dict[str, str]:
        if self.daily_budget is None:
            return {}
        self._roll_day(now)
        return {
            "x-daily-ratelimit-token-limit": str(self.daily_budget),
            "x-daily-ratelimit-token-remaining": str(max(0, self.daily_budget - self._spent)),
        }

    def seconds_to_midnight(self, now: float) -> int:
        wall = self._wall0 + now
        return max(1, math.ceil((math.floor(wall / DAY) + 1) * DAY - wall))

    def _day(self, now: float) -> int:
        return math.floor((self._wall0 + now) / DAY)

    def _roll_day(self, now: float) -> None:
        today = self._day(now)
        if today != self._spent_day:
            self._spent_day, self._spent = today, 0

    def _window(self, token: str) -> _Window:
        window = self._windows.get(token)
        if window is None:
            abuse = AbuseBlock(self.abuse_threshold, self.abuse_window, self.block_seconds)
            window = self._windows[token] = _Window(abuse)
        return window
