"""Kommo's envelopes: HAL lists (`application/hal+json`) and RFC 7807 problems.

Three list envelopes, as the vendor's documented examples show them:
- records (leads, contacts, companies, tasks, notes, events, catalogs, elements):
  `{_page, _links: {self, next?}, _embedded: {<key>: [...]}}`; a full page always
  carries a `next` link, even when it is the last one (amocrm-api-php issues 193
  and 299);
- counted lists (custom fields, users): `{_total_items, _page, _page_count, _links,
  _embedded}`, `_total_items` counting the items on the page (a custom-fields page
  of `limit=2` shows 2 of 10 pages) and `next` only before the last page;
- whole collections (pipelines, a pipeline's statuses): `{_total_items, _links:
  {self}, _embedded}`, unpaged.
A page with nothing on it is HTTP 204 with an empty body.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

HAL = "application/hal+json"
PROBLEM = "application/problem+json"


class Problem(Exception):
    """An error answer; `detail` says what was wrong."""

    def __init__(self, status: int, title: str, detail: str, **extra: Any):
        super().__init__(detail)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra

    def response(self) -> Response:
        body = {
            "title": self.title,
            "type": f"https://httpstatus.es/{self.status}",
            "status": self.status,
            "detail": self.detail,
            **self.extra,
        }
        return Response(json.dumps(body), status=self.status, content_type=PROBLEM)


def page_args(request: Request, default_limit: int = 50) -> tuple[int, int]:
    try:
        page = int(request.args.get("page", 1))
        limit = int(request.args.get("limit", default_limit))
    except ValueError:
        raise bad_request("page and limit must be integers") from None
    if page < 1:
        raise bad_request("page must be 1 or more", path="page")
    if not 1 <= limit <= 250:
        raise bad_request("limit must be between 1 and 250", path="limit")
    return page, limit


def bad_request(detail: str, path: str = "filter") -> Problem:
    return Problem(
        400,
        "Bad Request",
        detail,
        **{"validation-errors": [{"request_id": "0", "errors": [{"code": "NotSupportedChoice",
                                                                 "path": path, "detail": detail}]}]},
    )  # fmt: skip


def self_link(request: Request, record_path: str) -> dict[str, Any]:
    return {"self": {"href": f"{request.host_url}api/v4/{record_path}"}}


def hal_list(
    request: Request, key: str, items: list[dict], page: int, limit: int, *, full_page: bool
) -> Response:
    """One page of records, or a 204 when it is empty; `full_page` adds the `next` link."""
    if not items:
        return Response(status=204)
    body = {"_page": page, "_links": _links(request, page, limit, more=full_page),
            "_embedded": {key: items}}  # fmt: skip
    return _hal(body)


def counted_list(request: Request, key: str, items: list[dict], page: int, limit: int) -> Response:
    """Page `page` of `items` in the counted envelope, or a 204 past the last page."""
    chunk = items[(page - 1) * limit : page * limit]
    if not chunk:
        return Response(status=204)
    pages = -(-len(items) // limit)
    body = {
        "_total_items": len(chunk), "_page": page, "_page_count": pages,
        "_links": _links(request, page, limit, more=page < pages), "_embedded": {key: chunk},
    }  # fmt: skip
    return _hal(body)


def collection(request: Request, key: str, items: list[dict]) -> Response:
    """An unpaged collection: every item, counted, with the request as its `self`."""
    query = request.query_string.decode()
    href = f"{request.host_url.rstrip('/')}{request.path}" + (f"?{query}" if query else "")
    body = {"_total_items": len(items), "_links": {"self": {"href": href}},
            "_embedded": {key: items}}  # fmt: skip
    return _hal(body)


def _links(request: Request, page: int, limit: int, *, more: bool) -> dict[str, Any]:
    base = f"{request.host_url.rstrip('/')}{request.path}"
    args = request.args.to_dict(flat=False)

    def href(number: int) -> dict[str, str]:
        query = {**args, "page": [str(number)], "limit": [str(limit)]}
        return {"href": f"{base}?{urlencode(query, doseq=True)}"}

    links = {"self": href(page)}
    if more:
        links["next"] = href(page + 1)
    if page > 1:
        links["prev"] = href(page - 1)
    return links


def _hal(body: dict[str, Any]) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), content_type=HAL)


def hal_object(record: dict) -> Response:
    return Response(json.dumps(record, ensure_ascii=False), content_type=HAL)
