"""KommoResource: account subdomain, long-lived token, the 7 requests/second budget."""

from __future__ import annotations

from typing import Any, ClassVar

import requests
from pydantic import Field

from crm_assets.core.http import (
    ApiError,
    AuthenticationError,
    ClientConfig,
    Credential,
    FatalApiError,
    RateLimit,
)
from crm_assets.core.redaction import Redactor
from crm_assets.core.runtime.resource import SourceResource

SUBDOMAIN_VARIABLE = "KOMMO_SUBDOMAIN"
# https://developers.kommo.com/docs/limitations: no more than 7 requests per second.
REQUESTS_PER_SECOND = 7


class BlockedError(FatalApiError):
    """Kommo blocked the client (HTTP 403) after repeated rate-limit violations."""


class KommoResource(SourceResource):
    """Kommo (amoCRM). The token is a private integration's long-lived token."""

    SOURCE: ClassVar[str] = "kommo"
    TITLE: ClassVar[str] = "Kommo"
    SECRET_FIELD: ClassVar[str] = "access_token"
    SECRET_VARIABLE: ClassVar[str] = "KOMMO_ACCESS_TOKEN"
    START_DATE_VARIABLE: ClassVar[str] = "KOMMO_START_DATE"
    ENV_FIELDS: ClassVar[dict[str, str]] = {"subdomain": SUBDOMAIN_VARIABLE}
    ACCOUNT_FIELD: ClassVar[str] = "subdomain"
    DEMO_PATH: ClassVar[str] = "api/v4/"

    access_token: str | None = Field(default=None, description="From KOMMO_ACCESS_TOKEN.")
    subdomain: str = Field(
        default="", description="The `acme` of acme.kommo.com (KOMMO_SUBDOMAIN)."
    )
    base_url: str = Field(
        default="", description="Overrides https://{subdomain}.kommo.com/api/v4/ when set."
    )
    table_prefix: str = "kommo_"
    requests_per_second: float = Field(
        default=REQUESTS_PER_SECOND,
        description="Kommo allows 7 per second per account; more earns 429s, then a 403 block.",
    )

    def url(self) -> str:
        if self.base_url:
            return self.base_url.rstrip("/") + "/"
        return f"https://{self.subdomain}.kommo.com/api/v4/"

    def rate_limit(self) -> RateLimit:
        # One client per run, so this one limiter is shared by every stream of the run.
        return RateLimit.per_second(self.requests_per_second)

    def client_config(self) -> ClientConfig:
        return ClientConfig(
            source=self.SOURCE,
            base_url=self.url(),
            credential=Credential(self.secret(), header="Authorization", header_prefix="Bearer "),
            rate_limit=self.rate_limit(),
            retry=self.retry_policy(),
            timeout=self.timeout_seconds,
            page_size=250,
            classify_error=classify_error,
        )

    def build_emulator(self) -> Any:
        from crm_assets.sources.kommo.emulator import KommoEmulator

        return KommoEmulator()


def classify_error(response: requests.Response, redactor: Redactor) -> ApiError | None:
    """Kommo's errors with a fixed meaning, told from their `application/problem+json` body.

    401: the token is wrong or expired. 402: the account's plan or subscription refuses.
    403: after repeated 429s Kommo blocks the
    client (https://developers.kommo.com/docs/limitations); retrying only extends the
    block, so the run stops. 400: a request Kommo rejects (`validation-errors`).
    Anything else gets the default handling (429 and 5xx are retried).
    """
    status = response.status_code
    problem = redactor.redact(problem_text(response))
    if status == 401:
        return AuthenticationError(
            f"Kommo rejected the access token (HTTP 401: {problem}). Check KOMMO_ACCESS_TOKEN: "
            "a long-lived token expires on the date chosen when it was created.",
            status=401,
        )
    if status == 402:
        return FatalApiError(
            f"Kommo answered HTTP 402 Payment Required ({problem}): the account's subscription "
            "or plan does not allow this call. Renew or upgrade it in Kommo, then re-run; "
            "rows already written are kept.",
            status=402,
        )
    if status == 403:
        return BlockedError(
            f"Kommo refused access (HTTP 403: {problem}). Kommo blocks a client that keeps "
            "exceeding 7 requests per second; wait for the block to lift before the next run, "
            "and make sure no other tool spends this account's budget. If it persists, the "
            "account may allow API calls only from whitelisted IP addresses, or the token's "
            "user may lack rights to this data. Rows already written are kept.",
            status=403,
        )
    if status in (400, 404, 405):
        return ApiError(f"Kommo answered HTTP {status}: {problem}", status=status)
    return None


def problem_text(response: requests.Response) -> str:
    """The `title`/`detail` of an RFC 7807 problem body, or the start of any other body."""
    try:
        body = response.json()
    except ValueError:
        return repr(response.text[:200])
    if not isinstance(body, dict):
        return repr(str(body)[:200])
    parts = [str(body[k]) for k in ("title", "detail") if body.get(k)]
    for error in body.get("validation-errors") or []:
        details = error.get("errors") if isinstance(error, dict) else None
        for detail in details or []:
            parts.append(f"{detail.get('path')}: {detail.get('detail')}")
    return "; ".join(parts)[:400] or repr(str(body)[:200])
