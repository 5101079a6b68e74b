"""The API v1 endpoints Pipedrive retired in favour of API v2, and their 410 answer.

Pipedrive deprecated these v1 endpoints on 14 April 2025 and retired them after 31
July 2026 ("Deprecation of selected API v1 endpoints",
https://developers.pipedrive.com/changelog/post/deprecation-of-selected-api-v1-endpoints;
the list is also in pipedrive/client-php's CHANGELOG, release 10.0.0). Every method
on these paths is gone: a client gets `410 Gone` in the usual error envelope, naming
the v2 endpoint to use. The rest of v1 (field lists, notes, users, recents, deal
flow, ...) still answers.
"""

from __future__ import annotations

import re

from crm_assets.sources.pipedrive.emulator.http import ApiError

CHANGELOG = (
    "https://developers.pipedrive.com/changelog/post/deprecation-of-selected-api-v1-endpoints"
)
_BIG = "(activities|deals|persons|organizations|products)"
_ID = r"\d+"

# (v1 path after the version prefix, its API v2 replacement). `{1}` is the entity
# of the path, `{id}` its id.
RETIRED: list[tuple[str, str]] = [
    (_BIG, "/api/v2/{1}"),
    ("(activities|deals|persons|organizations)/collection", "/api/v2/{1}"),
    (f"{_BIG}/({_ID})", "/api/v2/{1}/{id}"),
    ("(deals|persons|organizations|products)/search", "/api/v2/{1}/search"),
    (f"deals/({_ID})/activities", "/api/v2/activities?deal_id={id}"),
    (f"deals/({_ID})/persons", "/api/v2/persons?deal_id={id}"),
    (f"persons/({_ID})/deals", "/api/v2/deals?person_id={id}"),
    (f"persons/({_ID})/activities", "/api/v2/activities?person_id={id}"),
    (f"organizations/({_ID})/deals", "/api/v2/deals?org_id={id}"),
    (f"organizations/({_ID})/activities", "/api/v2/activities?org_id={id}"),
    (f"organizations/({_ID})/persons", "/api/v2/persons?org_id={id}"),
    ("(pipelines|stages)", "/api/v2/{1}"),
    (f"(pipelines|stages)/({_ID})", "/api/v2/{1}/{id}"),
    # Deprecated in favour of v2 in the vendor's v1 reference (client-php docs,
    # PipelinesApi getPipelineDeals, StagesApi getStageDeals).
    (f"(pipelines|stages)/({_ID})/deals", "/api/v2/deals?{stage}_id={id}"),
    ("itemSearch", "/api/v2/itemSearch"),
    ("itemSearch/field", "/api/v2/itemSearch/field"),
]
_COMPILED = [(re.compile(pattern + "$"), replacement) for pattern, replacement in RETIRED]


def check_retired(method: str, path: str) -> None:
    """Raise the 410 a retired v1 `path` (after `/v1/`) answers; return for any other."""
    for pattern, replacement in _COMPILED:
        found = pattern.match(path)
        if not found:
            continue
        groups = found.groups()
        entity = next((g for g in groups if g and not g.isdigit()), "")
        item_id = next((g for g in groups if g and g.isdigit()), "")
        v2 = replacement.replace("{1}", entity).replace("{id}", item_id)
        v2 = v2.replace("{stage}", entity[:-1])
        message = (
            f"Gone: API v1 endpoint {method} /v1/{path} has been removed. "
            f"Use API v2 instead: {method if method != 'PUT' else 'PATCH'} {v2}"
        )
        raise ApiError(410, message, info=f"Please check {CHANGELOG}")
