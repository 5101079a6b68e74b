"""The one `requests` session a client sends on, from every thread at once.

A session is shared state. What it changes while sending is its cookie jar (the
cookies an answer sets, read back by the next request, from whichever thread); what
it keeps for reuse are its adapters' connection pools, which urllib3 guards with
locks of its own. So this session refuses every cookie (each vendor here
authenticates each request by a header or a parameter, and none needs one), and its
adapters keep as many connections per host as the run has threads sending: a pool
smaller than that opens a connection for each thread over the size and closes it
after one request. Headers and transports are set before the first request (the
resource's headers, a demo's in-process transport) and only read afterwards.
"""

from __future__ import annotations

from http.cookiejar import CookiePolicy

import requests
from requests.adapters import HTTPAdapter


def shared_session(user_agent: str, connections: int) -> requests.Session:
    """A session for `connections` threads at once, sending JSON requests as `user_agent`."""
    session = requests.Session()
    session.headers["User-Agent"] = user_agent
    session.headers["Accept"] = "application/json"
    session.cookies.set_policy(_NoCookies())
    for scheme in ("https://", "http://"):
        session.mount(scheme, HTTPAdapter(pool_maxsize=max(connections, 1)))
    return session


class _NoCookies(CookiePolicy):
    """Accepts no cookie and sends none, so no answer changes the session."""

    netscape = True
    rfc2965 = False
    hide_cookie2 = True

    def set_ok(self, cookie, request) -> bool:
        return False

    def return_ok(self, cookie, request) -> bool:
        return False

    def domain_return_ok(self, domain, request) -> bool:
        return False

    def path_return_ok(self, path, request) -> bool:
        return False
