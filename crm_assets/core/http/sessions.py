"""A session for each thread: a `requests.Session` is not documented as thread-safe,
so each thread of a client sends on one of its own, made from the session callers
configured."""

from __future__ import annotations

import threading

import requests


class ThreadSessions:
    """The session each thread sends on. The `owner` thread sends on `template` itself;
    every other thread on a copy of it, made at that thread's first request (so a
    transport mounted on `template` later reaches only copies made after it)."""

    def __init__(self, template: requests.Session, owner: threading.Thread | None):
        self.template = template
        self._owner = owner
        self._local = threading.local()
        self._lock = threading.Lock()
        self._copies: list[requests.Session] = []

    def current(self) -> requests.Session:
        """The calling thread's session."""
        if threading.current_thread() is self._owner:
            return self.template
        session = getattr(self._local, "session", None)
        if session is None:
            session = copy_session(self.template)
            self._local.session = session
            with self._lock:
                self._copies.append(session)
        return session

    def close(self) -> None:
        """Close every copy, and `template` too when an owner was named: a branch's
        sessions close without closing the template it shares."""
        with self._lock:
            copies, self._copies = self._copies, []
        for session in copies:
            session.close()
        if self._owner is not None:
            self.template.close()


def copy_session(template: requests.Session) -> requests.Session:
    """A new session with `template`'s headers and mounted transports (a demo's in-process
    adapter); the standard HTTP adapters stay the new session's own connection pools."""
    session = requests.Session()
    session.headers.update(template.headers)
    for prefix, adapter in template.adapters.items():
        if not isinstance(adapter, requests.adapters.HTTPAdapter):
            session.mount(prefix, adapter)
    return session
