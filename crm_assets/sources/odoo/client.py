"""Odoo's protocol: calling model methods, and how a model's pages are read
(docs/odoo-api.md).

Calls go over JSON-2 (Odoo 19+) or JSON-RPC `execute_kw` (16 to 18). Both take every
argument by name (`execute_kw` passes keyword arguments through), so callers write
`transport.call("res.partner", "search_read", domain=..., fields=...)` once for both.
`GET /web/version` picks the transport unless the resource names one. Both are
read-only POSTs through the shared client, so they are retried like GETs. Error
answers of either kind become errors that say what to do (`rpc_error`,
`classify_error`; https://www.odoo.com/documentation/19.0/developer/reference/external_api.html).

Reading: `pages` (`write_date` slices side by side, each a keyset on `write_date`,
`id`), `id_range_pages` (a full read split into id ranges requested ahead) and
`live_ids` (what deletes left).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from typing import Any

import requests

from crm_assets.core.http import ApiClient, ApiError, AuthenticationError, FatalApiError
from crm_assets.core.redaction import Redactor
from crm_assets.core.spec.streams import Record, Window
from crm_assets.core.sync.pagination import pages_ahead, pages_at
from crm_assets.core.sync.slices import TimeList, sliced_pages

KEY_HELP = (
    "Check ODOO_API_KEY: keys are made under Preferences > Account Security and last at "
    "most three months."
)


def transport_for(client: ApiClient) -> Json2 | JsonRpc:
    """The client's transport, chosen (and for JSON-RPC, logged in) on first use.

    The choice and the login are made once per run: the streams that ask meanwhile
    wait for the first to make them, then all send through the one client.
    """
    lock = client.shared.setdefault("odoo_transport_lock", threading.Lock())
    with lock:
        transport = client.shared.get("odoo_transport")
        if transport is None:
            transport = client.shared["odoo_transport"] = _discover(client)
    return transport


def _discover(client: ApiClient) -> Json2 | JsonRpc:
    protocol = client.config.options.get("protocol", "auto")
    if protocol == "auto":
        protocol = "json2" if server_version(client) >= 19 else "jsonrpc"
    return Json2(client) if protocol == "json2" else JsonRpc(client)


def server_version(client: ApiClient) -> int:
    """The server's major version: `GET /web/version`, else JSON-RPC `common.version`.

    The JSON-RPC call answers on every version that still serves JSON-RPC, so a server
    without the `/web/version` route is still identified.
    """
    try:
        info = client.get_json("web/version")
    except ApiError as exc:
        if exc.status != 404:
            raise
        body = {"jsonrpc": "2.0", "method": "call", "id": 0,
                "params": {"service": "common", "method": "version", "args": []}}  # fmt: skip
        reply = client.request_json("POST", "jsonrpc", json_body=body)
        info = {"version_info": (reply or {}).get("result", {}).get("server_version_info")}
    try:
        return int(info["version_info"][0])
    except (TypeError, KeyError, IndexError, ValueError):
        raise ApiError(f"Odoo: the server did not say its version ({str(info)[:100]!r}).") from None


class Json2:
    """`POST /json/2/{model}/{method}` with the arguments as a JSON object."""

    name = "JSON-2"

    def __init__(self, client: ApiClient):
        self.client = client

    def call(self, model: str, method: str, **arguments: Any) -> Any:
        return self.client.request_json("POST", f"json/2/{model}/{method}", json_body=arguments)


class JsonRpc:
    """`POST /jsonrpc` `execute_kw`, after finding the database and the user's id."""

    name = "JSON-RPC"

    def __init__(self, client: ApiClient):
        self.client = client
        self._ids = itertools.count(1)
        self.secret = client.config.credential.secret
        options = client.config.options
        self.database = options.get("database") or self._only_database()
        login = options.get("login")
        if not login:
            raise FatalApiError(
                "Odoo: this server has no JSON-2 API (it is older than 19), so it is read over "
                "JSON-RPC, which logs in with a user name: set ODOO_LOGIN to the login of the "
                "API key's user."
            )
        self.uid = self._rpc("common", "authenticate", [self.database, login, self.secret, {}])
        if not self.uid:
            raise AuthenticationError(
                f"Odoo rejected login {login!r} with the API key on database "
                f"{self.database!r}. Check ODOO_LOGIN and ODOO_API_KEY. " + KEY_HELP
            )

    def call(self, model: str, method: str, **arguments: Any) -> Any:
        args = [self.database, self.uid, self.secret, model, method, [], arguments]
        return self._rpc("object", "execute_kw", args, model=model)

    def _only_database(self) -> str:
        # An error reply means Odoo will not list them (`list_db = False`); a failed
        # request (a 403 from a proxy, retries spent) is not about databases: it propagates.
        names = self._reply("db", "list", []).get("result")
        if isinstance(names, list) and len(names) == 1:
            return names[0]
        listed = f" ({', '.join(names)})" if isinstance(names, list) else ""
        raise FatalApiError(
            f"Odoo: the server hosts several databases{listed} or does not list them; set "
            "ODOO_DATABASE to the one to read."
        )

    def _rpc(self, service: str, method: str, args: list, model: str = "") -> Any:
        reply = self._reply(service, method, args)
        if "error" in reply:
            data = reply["error"].get("data") or {}
            raise rpc_error(str(data.get("name", "")), str(data.get("message", reply["error"])),
                            model, self.client.redactor)  # fmt: skip
        return reply["result"]

    def _reply(self, service: str, method: str, args: list) -> dict[str, Any]:
        """The JSON-RPC reply, `result` or `error`; a failed request raises the client's error."""
        body = {"jsonrpc": "2.0", "method": "call", "id": next(self._ids),
                "params": {"service": service, "method": method, "args": args}}  # fmt: skip
        reply = self.client.request_json("POST", "jsonrpc", json_body=body)
        if not isinstance(reply, dict) or ("result" not in reply and "error" not in reply):
            raise ApiError(f"Odoo: /jsonrpc answered {str(reply)[:100]!r}, not a JSON-RPC reply.")
        return reply


# -- errors -----------------------------------------------------------------------


def rpc_error(name: str, message: str, model: str, redactor: Redactor) -> ApiError:
    """An Odoo exception (by its Python name) as a clear error; fatal when no call can work."""
    message = redactor.redact(message)[:300]
    where = f" on {model}" if model else ""
    if name.endswith("AccessDenied"):
        return AuthenticationError(f"Odoo denied access ({message!r}). " + KEY_HELP, status=401)
    if name.endswith("AccessError"):
        return ApiError(
            f"Odoo: the API key's user may not read{where} ({message!r}). Give the user a group "
            "with read access to this model, or leave the model out.",
            status=403,
        )
    # JSON-2 answers KeyError (model) or NotFound (method); `execute_kw` a UserError
    # "Object x doesn't exist" (model) or an AttributeError (method).
    missing = name.endswith(("UserError", "AttributeError")) and "exist" in message
    if name.endswith(("KeyError", "NotFound")) or missing:
        return ApiError(
            f"Odoo has no model or method{where} ({message!r}). Is the module that defines it "
            "installed? Check the model name in ODOO_MODELS.",
            status=404,
        )
    if "OperationalError" in name and "does not exist" in message:
        return FatalApiError(f"Odoo: {message!r}. Check ODOO_DATABASE.", status=404)
    return ApiError(f"Odoo refused the call{where}: {name}: {message!r}")


def classify_error(response: requests.Response, redactor: Redactor) -> ApiError | None:
    """JSON-2's error answers (`{name, message, ...}` with the HTTP status) as clear errors.

    A 500 naming a Python programming error (a bad domain field is
    `builtins.ValueError`) is the same on every try, so it is not retried.
    """
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or "name" not in body:
        if status == 404 and "/json/2/" in response.url:
            return FatalApiError(
                "Odoo answered 404 (an HTML page) for JSON-2: either the server hosts several "
                "databases and none is named (set ODOO_DATABASE), or it is older than 19 and "
                "has no JSON-2 (set the resource's protocol to auto or jsonrpc).",
                status=404,
            )
        return None
    name, message = str(body["name"]), str(body.get("message", ""))
    model = (
        response.url.split("/json/2/", 1)[-1].rsplit("/", 1)[0]
        if "/json/2/" in response.url
        else ""
    )
    if status == 401:
        return AuthenticationError(
            f"Odoo rejected the API key (HTTP 401 {redactor.redact(message)!r}). " + KEY_HELP,
            status=401,
        )
    if status in (403, 404, 422) or name.startswith("builtins."):
        error = rpc_error(name, message, model, redactor)
        error.status = status
        return error
    return None


# -- reading ----------------------------------------------------------------------

ORDER = "write_date asc, id asc"
NEWEST = "write_date desc, id desc"
TIME = "%Y-%m-%d %H:%M:%S"  # UTC, as Odoo writes and compares datetimes
CONTEXT = {"active_test": False}
ID_PAGE = 5000
# What the cursor needs even when nothing else of a model can be read.
CURSOR_FIELDS = ["write_date"]


def pages(client: ApiClient, model: str, fields: tuple[str, ...], window: Window) -> Iterator[list]:
    """`search_read` pages of the records in `window`, read as `write_date` slices side
    by side while the run has threads free (`core.sync.slices`; `[start, end)` in whole
    seconds), each a keyset on (`write_date`, `id`). Odoo applies `limit` in SQL after
    its access rules, so a page shorter than the limit is a slice's last. A full read
    in a run that requests pages ahead (`pages_ahead`) is read in id ranges instead.
    """
    wanted = sorted(set(fields) | set(CURSOR_FIELDS))
    if window.is_full and pages_ahead() > 0:
        yield from id_range_pages(client, model, wanted, context=CONTEXT)
        return
    transport, limit = transport_for(client), client.config.page_size

    def search(asked: Window, order: str, names: list[str], after: tuple | None = None) -> list:
        bounds = ((">=", asked.start), ("<", asked.end))
        domain = [["write_date", op, at.astimezone(UTC).strftime(TIME)] for op, at in bounds if at]
        if after is not None:
            domain += ["|", ["write_date", ">", after[0]],
                       "&", ["write_date", "=", after[0]], ["id", ">", after[1]]]  # fmt: skip
        page = transport.call(model, "search_read", domain=domain, fields=names, limit=limit,
                              order=order, context=CONTEXT)  # fmt: skip
        if not isinstance(page, list):
            raise ApiError(f"Odoo: search_read on {model} answered {str(page)[:80]!r}, not a list.")
        return page

    def page(asked: Window, after: tuple | None) -> tuple[list, tuple | None]:
        found = search(asked, ORDER, wanted, after)
        return found, (found[-1]["write_date"], found[-1]["id"]) if len(found) >= limit else None

    def written(record: dict) -> datetime:
        return datetime.strptime(record["write_date"], TIME).replace(tzinfo=UTC)

    listing = TimeList(page=page, updated=written, key=lambda record: record["id"],
                       newest=lambda asked: search(asked, NEWEST, CURSOR_FIELDS),
                       what=f"Odoo: search_read on {model}")  # fmt: skip
    yield from sliced_pages(listing, window)


def live_ids(client: ApiClient, model: str) -> Iterator[list[Record]]:
    """Every id the model still has (archived included), in pages of `{"id": n}`."""
    transport = transport_for(client)
    last = 0
    while True:
        ids = transport.call(model, "search", domain=[["id", ">", last]], limit=ID_PAGE,
                             order="id asc", context=CONTEXT)  # fmt: skip
        if ids:
            yield [{"id": i} for i in ids]
        if len(ids) < ID_PAGE:
            return
        last = ids[-1]


# -- full reads in id ranges (docs/odoo-api.md, "Full reads in id ranges") --------
#
# A keyset page names the last record of the page before it, so it cannot be asked for
# ahead; a full read needs no order, so it is split into ranges of ids known before
# they are read, several on their way at once (`core.sync.pagination.pages_at`).

ID_ORDER = "id asc"
# Where fewer ids than this share are in use, ranges widen to hold this much of a page.
FILL = 0.75


def id_range_pages(
    client: ApiClient, model: str, fields: list[str], *, context: dict[str, Any]
) -> Iterator[list]:
    """Every record of `model` (its `fields` and `id`), in pages of at most the page size.

    Up to `pages_ahead()` requests are on their way while one is awaited.
    Raises ApiError when an answer is not a list, holds more records than the limit
    asked for, or holds ids outside the range asked for.
    """
    reader = _Reader(transport_for(client), model, fields, client.config.page_size, context)
    ahead = pages_ahead()
    opening = {"first": lambda: reader.page(None, None),
               "highest": reader.highest_id, "count": reader.count}  # fmt: skip
    answers: dict[str, Any] = {}
    with closing(pages_at(lambda key: opening[key](), opening)) as opened:
        for key, answer in opened:
            answers[key] = answer
            if key != "first":
                continue
            if answer:
                yield answer
            if len(answer) < reader.limit:
                client.detail.debug(f"odoo: {model}: full read in one page")
                return
    after = answers["first"][-1]["id"]
    highest = max(answers["highest"] or after, after)
    rest = answers["count"] - reader.limit
    width = range_width(after + 1, highest, rest, reader.limit)
    starts = range(after + 1, highest + 1, width)
    client.detail.debug(
        f"odoo: {model}: full read: ids to {after} in the first page, then ids {after + 1} "
        f"to {highest} (about {max(rest, 0)} records) in {len(starts)} ranges of {width} "
        f"ids, {ahead} requested ahead, then ids above {highest}"
    )
    # The last range ends at the highest id: the ids above it are the tail's, read once.
    ends = {start: min(start + width, highest + 1) for start in starts}
    first_pages = pages_at(lambda start: reader.page(["id", ">=", start], ends[start]), starts)
    for start, page in first_pages:
        yield from reader.read_on(page, ends[start])
    yield from reader.read_on(reader.page(["id", ">", highest], None), None)


def range_width(lowest: int, highest: int, count: int, limit: int) -> int:
    """Ids per range from `lowest` through `highest`, which hold about `count` records:
    `limit`, or more where under `FILL` of the ids hold a record."""
    span = highest - lowest + 1
    return max(limit, int(limit * FILL * span / max(count, 1)))


class _Reader:
    """One model's `search`, `search_count` and `search_read` calls, each answer checked."""

    def __init__(
        self, transport: Json2 | JsonRpc, model: str, fields: list[str], limit: int, context
    ):
        self.transport, self.model, self.fields = transport, model, fields
        self.limit, self.context = limit, context

    def highest_id(self) -> int | None:
        ids = self.transport.call(self.model, "search", domain=[], order="id desc", limit=1,
                                  context=self.context)  # fmt: skip
        if not isinstance(ids, list) or len(ids) > 1 or not all(isinstance(i, int) for i in ids):
            raise ApiError(f"Odoo: search on {self.model} answered {str(ids)[:80]!r}, not a list "
                           "of at most one id.")  # fmt: skip
        return ids[0] if ids else None

    def count(self) -> int:
        count = self.transport.call(self.model, "search_count", domain=[], context=self.context)
        if not isinstance(count, int):
            raise ApiError(
                f"Odoo: search_count on {self.model} answered {str(count)[:80]!r}, not a number."
            )
        return count

    def page(self, lower: list | None, end: int | None) -> list[dict]:
        """The records whose id meets `lower` and is below `end` (None: no bound), in id
        order: at most one page of them."""
        domain = [b for b in (lower, None if end is None else ["id", "<", end]) if b]
        page = self.transport.call(self.model, "search_read", domain=domain, fields=self.fields,
                                   limit=self.limit, order=ID_ORDER, context=self.context)  # fmt: skip
        what = f"Odoo: search_read on {self.model} for {domain}"
        if not isinstance(page, list):
            raise ApiError(f"{what} answered {str(page)[:80]!r}, not a list.")
        if len(page) > self.limit:
            raise ApiError(f"{what} answered {len(page)} records, more than the limit of "
                           f"{self.limit} it asked for; stopped.")  # fmt: skip
        if page and not (_meets(page[0]["id"], lower) and (end is None or page[-1]["id"] < end)):
            raise ApiError(f"{what} answered ids {page[0]['id']} to {page[-1]['id']}, outside "
                           "the range asked for; stopped.")  # fmt: skip
        return page

    def read_on(self, page: list[dict], end: int | None) -> Iterator[list[dict]]:
        """`page`, then the rest of its range: the ids after the last one read, below `end`,
        until a short page or the end of the range."""
        while True:
            if page:
                yield page
            if len(page) < self.limit or (end is not None and page[-1]["id"] >= end - 1):
                return
            page = self.page(["id", ">", page[-1]["id"]], end)


def _meets(record_id: int, lower: list | None) -> bool:
    if lower is None:
        return True
    _, operator, bound = lower
    return record_id >= bound if operator == ">=" else record_id > bound
