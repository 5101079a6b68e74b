"""Whether a client's threads may send side by side, or one at a time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from crm_assets.core.http.errors import ApiError


class Gate:
    """Whether a client's threads may send side by side.

    Until the source has answered a request, requests go one at a time, so a bad
    credential or a plan that refuses meets one request, not one per thread. After a
    429 they go one at a time for the rest of the run, each once the requests already
    under way are answered: a source that says no is not hit by every thread at once,
    and a block it imposes for repeated 429s meets one request. A fatal answer closes
    the gate for good: no thread sends again, each raises that error, the thread that
    met it included (a run's threads serve every stream in turn, so a thread is no
    one stream's).
    """

    def __init__(self) -> None:
        self._state = threading.Condition()
        self._single = threading.Lock()
        self._answered = False
        self._throttled = False
        self._under_way = 0
        self._fatal: ApiError | None = None

    @contextmanager
    def passage(self) -> Iterator[None]:
        """Hold one request: side by side with others when the gate is open, alone
        otherwise. Raises the fatal error that closed the gate, if one did."""
        if self._enter_side_by_side():
            yield from self._side_by_side()
            return
        with self._single:
            # The source may have answered while this thread waited its turn.
            alone = not self._enter_side_by_side()
            if alone:
                with self._state:
                    # Throttled: no request starts side by side any more, so this ends.
                    self._state.wait_for(lambda: self._under_way == 0)
                if self._fatal is not None:
                    raise self._fatal
                yield
        if not alone:
            yield from self._side_by_side()

    def _enter_side_by_side(self) -> bool:
        with self._state:
            if self._answered and not self._throttled and self._fatal is None:
                self._under_way += 1
                return True
            return False

    def _side_by_side(self) -> Iterator[None]:
        try:
            yield
        finally:
            with self._state:
                self._under_way -= 1
                self._state.notify_all()

    def learn(self, status: int) -> None:
        """Note an answer's status: a success opens the gate, a 429 narrows it for good."""
        with self._state:
            if status == 429:
                self._throttled = True
            elif status < 400:  # an error answer may yet prove fatal: no one may pass
                self._answered = True

    def close(self, error: ApiError) -> None:
        """Shut every thread out with `error`; the first fatal error stays."""
        with self._state:
            if self._fatal is None:
                self._fatal = error
