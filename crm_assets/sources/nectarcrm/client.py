"""NectarCRM's protocol: how a stream's pages are read (docs/nectarcrm-api.md).

Vendor quirks:
- Lists are bare JSON arrays paged with `page` (1-based); the end is an empty page.
  `displayLength` asks for a page size up to the endpoint's documented maximum (200;
  100 for `/publicacao`), but it is a request, not a promise (the docs also say 50),
  so a short page never ends the loop.
- `/oportunidades` without `status` serves only open deals (status 1), and
  `/pipeline` without `type` only sales pipelines: both are read once per value.
- Update filters take `dd/MM/yyyy` dates, no time, in São Paulo local days; every
  date and time the API sends is São Paulo's too.

Errors: 401 means a bad token or a refused parameter, told apart by the body
(`classify_error`). The token and the URL are the resource's (`resource.py`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests

from crm_assets.core.http import ApiClient, ApiError, AuthenticationError
from crm_assets.core.redaction import Redactor
from crm_assets.core.spec.streams import Fetch, Record, Window
from crm_assets.core.sync.pagination import numbered_pages

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
MAX_PAGE_SIZE = 200  # displayLength's documented maximum; page=-1 also serves 200
OPPORTUNITY_STATUSES = (1, 2, 3, 4)  # open, won, lost, discarded
PIPELINE_TYPES = (0, 1)  # sales, qualification


def listing(
    path: str,
    *,
    updated_filter: bool = False,
    split: tuple[str, Sequence[int]] | None = None,
    params: Mapping[str, Any] | None = None,
    max_page_size: int = MAX_PAGE_SIZE,
) -> Fetch:
    """Fetch every page of `path`, once per value of `split` when the API hides some.

    Pages are asked for in the resource's page size, capped at the endpoint's maximum.
    """

    def fetch(client: ApiClient, window: Window) -> Iterator[list[Record]]:
        page_size = min(client.config.page_size, max_page_size)
        query = dict(params or {})
        if updated_filter and not window.is_full:
            query.update(update_filter(window))
        name, values = split or ("", [None])
        for value in values:
            part = {**query, name: value} if name else query
            yield from numbered_pages(
                lambda page, part=part: client.get_json(
                    path, {**part, "page": page, "displayLength": page_size}
                ),
                what=f"NectarCRM /{path}" + (f" ({name}={value})" if name else ""),
            )

    return fetch


def update_filter(window: Window) -> dict[str, str]:
    """Whole days covering the UTC window, in São Paulo time and in UTC.

    The filter is date-only and the vendor's day is São Paulo's, so the window is
    widened to whole days on both sides; upserts make the overlap harmless.
    """
    last_instant = window.end - timedelta(microseconds=1)
    first = min(window.start.astimezone(SAO_PAULO).date(), window.start.date())
    last = max(last_instant.astimezone(SAO_PAULO).date(), last_instant.date())
    return {
        "dataInicioAtualizacao": first.strftime("%d/%m/%Y"),
        "dataFimAtualizacao": last.strftime("%d/%m/%Y"),
    }


def classify_error(response: requests.Response, redactor: Redactor) -> ApiError | None:
    """NectarCRM answers 401 both for a bad token and for a bad parameter.

    A bad token is the plain body `Invalid token` (labelled `text/json`); anything
    else under 401 is a parameter the API refused.
    """
    if response.status_code != 401:
        return None
    body = redactor.redact(response.text.strip()[:200])
    if body.lower().startswith("invalid token"):
        return AuthenticationError(
            "NectarCRM rejected the API token (HTTP 401 'Invalid token'). Check "
            "NECTARCRM_API_TOKEN: copy it again from Settings > Integrations > Public Token.",
            status=401,
        )
    return ApiError(f"NectarCRM refused a request parameter (HTTP 401): {body!r}", status=401)
