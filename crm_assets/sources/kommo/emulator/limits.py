"""Kommo's request limit as the emulator enforces it.

https://developers.kommo.com/docs/limitations: no more than 7 requests per second;
over it the API answers 429, and "if the restrictions are repeatedly violated, the
IP address is blocked" with HTTP 403. Here: a sliding one-second window per token;
more than `abuse_threshold` 429s within `abuse_window` seconds blocks the token for
`block_seconds`. A request's arrival is stamped when it reaches the app, a few
milliseconds after the client sent it (more on a busy machine), so the window
allows `jitter` seconds of such noise: a client pacing itself at exactly 7 per
second is not refused, while 8 requests within 0.9 seconds are.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from crm_assets.core.emulation import AbuseBlock


@dataclass
class _State:
    abuse: AbuseBlock
    accepted: deque[float] = field(default_factory=deque)


class RateLimiter:
    def __init__(
        self,
        *,
        per_second: int,
        abuse_threshold: int,
        abuse_window: float,
        block_seconds: float,
        clock: Callable[[], float],
        jitter: float = 0.1,
    ):
        self.per_second = per_second
        self.abuse_threshold = abuse_threshold
        self.abuse_window = abuse_window
        self.block_seconds = block_seconds
        self.clock = clock
        self.jitter = jitter
        self._states: dict[str, _State] = {}
        # Every accepted request's time, for `peak`.
        self.history: list[float] = []

    def admit(self, token: str) -> int | None:
        """None to serve the request, or the status refusing it (429 or 403)."""
        now = self.clock()
        state = self._states.get(token)
        if state is None:
            abuse = AbuseBlock(self.abuse_threshold, self.abuse_window, self.block_seconds)
            state = self._states[token] = _State(abuse)
        if state.abuse.blocked(now):
            return 403
        window = 1.0 - self.jitter
        while state.accepted and now - state.accepted[0] >= window:
            state.accepted.popleft()
        if len(state.accepted) >= self.per_second:
            state.abuse.rejected(now)
            return 429
        state.accepted.append(now)
        self.history.append(now)
        return None

    def peak(self, seconds: float = 1.0) -> int:
        """The most requests served within any `seconds`-long stretch (window minus jitter)."""
        times, best, first = self.history, 0, 0
        for last, moment in enumerate(times):
            while moment - times[first] >= seconds - self.jitter:
                first += 1
            best = max(best, last - first + 1)
        return best
