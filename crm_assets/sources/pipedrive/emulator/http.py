"""Pipedrive wire details for the emulator: envelopes, errors, parameters, cursors, pages.

docs/pipedrive-api.md, "Base URL and auth" and "Pagination":
- success bodies are `{"success": true, "data": ..., "additional_data": {...}}`;
- errors are `{"success": false, "error", "errorCode", "error_info"}`;
- v2 lists page with an opaque `cursor` (`additional_data.next_cursor`, null at the end),
  v1 lists with `start`/`limit` (`additional_data.pagination`).
Timestamps: v2 speaks RFC3339 (`2026-11-20T10:31:07Z`), v1 `YYYY-MM-DD HH:MM:SS`
(both UTC, one-second resolution).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

ERROR_INFO = "Please check developers.pipedrive.com"
MAX_LIMIT = 500
DEFAULT_LIMIT = 100

Args = MultiDict[str, str]


class ApiError(Exception):
    """A request the API refuses: becomes an error envelope with this status."""

    def __init__(self, status: int, message: str, info: str = ERROR_INFO):
        super().__init__(message)
        self.status = status
        self.message = message
        self.info = info


def error_body(status: int, message: str, info: str = ERROR_INFO) -> dict[str, Any]:
    return {"success": False, "error": message, "errorCode": status, "error_info": info}


def json_response(status: int, body: Any, headers: Mapping[str, str]) -> Response:
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return Response(text, status=status, headers=dict(headers), content_type="application/json")


# -- time ---------------------------------------------------------------------------


def rfc3339(ts: int | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def v1_time(ts: int | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def day(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


def parse_rfc3339(raw: str, name: str) -> float:
    """Epoch seconds of an RFC3339 timestamp; ApiError 400 for anything else (dates too)."""
    if not _RFC3339.match(raw):
        raise ApiError(400, f"Invalid value for '{name}': '{raw}' is not an RFC3339 date-time")
    try:
        return datetime.fromisoformat(raw.replace("z", "Z")).timestamp()
    except ValueError as exc:
        raise ApiError(400, f"Invalid value for '{name}': {exc}") from None


# -- parameters -----------------------------------------------------------------------


def int_param(args: Args, name: str, *, minimum: int | None = None) -> int | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    if not re.fullmatch(r"-?\d+", raw):
        raise ApiError(400, f"Invalid value for '{name}': '{raw}' is not an integer")
    value = int(raw)
    if minimum is not None and value < minimum:
        raise ApiError(400, f"Invalid value for '{name}': must be at least {minimum}")
    return value


def limit_param(args: Args) -> int:
    limit = int_param(args, "limit", minimum=1)
    if limit is None:
        return DEFAULT_LIMIT
    if limit > MAX_LIMIT:
        raise ApiError(400, f"Invalid value for 'limit': must be at most {MAX_LIMIT}")
    return limit


def start_param(args: Args) -> int:
    return int_param(args, "start", minimum=0) or 0


def bool_param(args: Args, name: str, *, numeric: bool = False) -> bool | None:
    """v2 accepts only `true`/`false`; v1 (`numeric=True`) also `1`/`0`."""
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    accepted = {"true": True, "false": False}
    if numeric:
        accepted |= {"1": True, "0": False}
    if raw.lower() not in accepted:
        raise ApiError(400, f"Invalid value for '{name}': '{raw}' is not a boolean")
    return accepted[raw.lower()]


def time_param(args: Args, name: str) -> float | None:
    raw = args.get(name)
    return None if raw is None or raw == "" else parse_rfc3339(raw, name)


def date_param(args: Args, name: str) -> date | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise ApiError(400, f"Invalid value for '{name}': '{raw}' is not a YYYY-MM-DD date")


def csv_param(args: Args, name: str) -> list[str]:
    """A comma list; repeated parameters (`a=1&a=2`) are accepted as well."""
    return [part.strip() for raw in args.getlist(name) for part in raw.split(",") if part.strip()]


def ids_param(args: Args, name: str, *, maximum: int) -> list[int] | None:
    values = csv_param(args, name)
    if not values:
        return None
    if not all(re.fullmatch(r"\d+", v) for v in values):
        raise ApiError(400, f"Invalid value for '{name}': expected a comma separated list of ids")
    if len(values) > maximum:
        raise ApiError(400, f"Invalid value for '{name}': at most {maximum} ids are allowed")
    return [int(v) for v in values]


def choice_param(args: Args, name: str, choices: tuple[str, ...], default: str) -> str:
    raw = args.get(name) or default
    if raw not in choices:
        raise ApiError(
            400, f"Invalid value for '{name}': '{raw}', expected one of {', '.join(choices)}"
        )
    return raw


# -- v2 cursor pages ------------------------------------------------------------------


def encode_cursor(field: str, value: int, direction: str, item_id: int) -> str:
    """The cursor names the first item of the next page, as Pipedrive's does."""
    payload = {"field": field, "fieldValue": value, "sortDirection": direction, "id": item_id}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(raw: str, field: str, direction: str) -> tuple[int, int]:
    try:
        payload = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        value, item_id = payload["fieldValue"], payload["id"]
        valid = (
            payload["field"] == field
            and payload["sortDirection"] == direction
            and isinstance(value, int)
            and isinstance(item_id, int)
        )
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        valid = False
    if not valid:
        raise ApiError(400, "Invalid cursor: it does not belong to this sort_by/sort_direction")
    return value, item_id


def cursor_page(
    order: Sequence[int],
    sort_key: Callable[[int], int],
    field: str,
    direction: str,
    cursor: str | None,
    limit: int,
    ident: Callable[[int], int] = lambda i: i + 1,
) -> tuple[list[int], str | None]:
    """One page of positions from `order`, sorted by (sort_key, ident) in `direction`.

    `order` holds table indices (record id = index + 1, the default `ident`) or
    positions in a list. The page starts where the cursor's key falls (keyset), so
    records that change between requests neither shift nor repeat the rest.
    """
    position = 0
    if cursor:
        value, item_id = decode_cursor(cursor, field, direction)
        if direction == "asc":
            position = bisect_left(order, (value, item_id), key=lambda i: (sort_key(i), ident(i)))
        else:
            position = bisect_left(
                order, (-value, -item_id), key=lambda i: (-sort_key(i), -ident(i))
            )
    page = list(order[position : position + limit])
    following = position + limit
    if following >= len(order):
        return page, None
    nxt = order[following]
    return page, encode_cursor(field, sort_key(nxt), direction, ident(nxt))


def offset_pagination(total: int, start: int, limit: int) -> dict[str, Any]:
    """v1 `additional_data.pagination`; `next_start` only when more items follow."""
    more = start + limit < total
    pagination: dict[str, Any] = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        pagination["next_start"] = start + limit
    return pagination
