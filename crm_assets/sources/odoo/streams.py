"""Odoo streams: the five documented models plus any model named in ODOO_MODELS.

Every model is read the same way (docs/odoo-api.md):
- its columns are discovered with `fields_get` on every run (a field added later is
  a column on the next run); when the call is refused, the stream falls back to an
  id-only schema and says so in a warning;
- `search_read` pages with a keyset on (`write_date`, `id`), ordered
  `write_date asc, id asc`, so records sharing one `write_date` across a page
  boundary are neither lost nor read twice; archived records included
  (`active_test: false`); an incremental window bounds `write_date`. A full read
  with pages requested ahead (`pages_requested_ahead`) is split into id ranges
  instead, several on their way at once (`ranges.py`);
- Odoo deletes leave no trace, so every windowed run ends by listing the ids Odoo
  still has (`search`, ids only) and marking the missing ones `_deleted`.

Extra models: `ODOO_MODELS=res.partner,crm.lead` adds the streams `res_partner` and
`crm_lead` (tables `odoo_res_partner`, ...). It is read when the definitions load, so
the assets exist before any run; a malformed value fails Odoo's runs, not the load.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from crm_assets.core.http.client import ApiError
from crm_assets.core.spec.streams import Link, Record, SourceSpec, StreamSpec, SyncMode, Window
from crm_assets.sources.odoo import schema
from crm_assets.sources.odoo.ranges import id_range_pages
from crm_assets.sources.odoo.resource import OdooResource
from crm_assets.sources.odoo.transport import transport_for

MODELS_VARIABLE = "ODOO_MODELS"
ORDER = "write_date asc, id asc"
CONTEXT = {"active_test": False}
ID_PAGE = 5000
_MODEL_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")

# (stream, model, description, fields stored as text whatever their declared type).
BUILT_IN = [
    ("payment", "account.payment",
     "Payments (`account.payment`): inbound and outbound, in every state, with their "
     "journal, method, partner and reconciliation.", ()),
    ("insurance_quotation", "mut.insurance.quotation",
     "Insurance quotations (`mut.insurance.quotation`): proposals with proponent, product "
     "and premium.", ()),
    ("policy", "mut.policy",
     "Insurance policies (`mut.policy`), linked to the quotation they came from by "
     "`equotation_id`.", ()),
    ("policy_certificate", "mut.policy.certificate",
     "Policy certificates (`mut.policy.certificate`): one insured item (vehicle) of a policy.",
     ("vehicle_cc",)),
    ("certificate_coverage", "mut.certificate.coverage",
     "Certificate coverages (`mut.certificate.coverage`): the coverage lines of a certificate.",
     ()),
]  # fmt: skip


# Personal data by column, for privacy policies (see crm_assets.core.privacy.personal_data), on
# every model that has the field: a Brazilian partner's `vat` is a CPF or a CNPJ.
PERSONAL_FIELDS = {
    "vat": ("cpf", "cnpj"), "email": "email", "email_from": "email", "phone": "phone",
    "mobile": "phone", "partner_phone": "phone", "partner_name": "person_name",
    "contact_name": "person_name", "proponent_vat": ("cpf", "cnpj"),
    "proponent_email": "email", "proponent_phone": "phone", "proponent_name": "person_name",
    "comment": "document", "description": "document",
}  # fmt: skip
PERSONAL_BY_MODEL = {"res.partner": {"name": "person_name", "display_name": "person_name"}}
# Where a record names a partner (see crm_assets.core.spec.streams.Link), on every model that
# has the field: a many-to-one is stored as `<field>_id` and `<field>_name`. Erasing a
# partner's person keeps their payments, quotations and policies that are not found by
# their own email or CPF (a payment is not the person), with the partner and its name
# emptied. A policy's certificates (the insured vehicles) and their coverages are the
# policy holder's, erased with the policy; a policy names its quotation, so its copy of
# a name the quotation held is replaced too.
LINKS = (Link("res_partner", "partner_id", clears=("partner_name",)),)
LINKS_BY_MODEL = {
    "mut.policy": (Link("insurance_quotation", "equotation_id"),),
    "mut.policy.certificate": (Link("policy", "policy_id", owned=True),),
    "mut.certificate.coverage": (Link("policy_certificate", "certificate_id", owned=True),),
}


def model_stream(name: str, model: str, description: str, text_fields=()) -> StreamSpec:
    """The stream of one Odoo model; its columns are discovered when it runs."""
    spec = StreamSpec(
        name=name,
        fetch=_undiscovered,
        description=description,
        sync_mode=SyncMode.INCREMENTAL,
        reconcile=lambda client: live_ids(client, model),
        personal={**PERSONAL_FIELDS, **PERSONAL_BY_MODEL.get(model, {})},
        links=LINKS + LINKS_BY_MODEL.get(model, ()),
    )
    return dataclasses.replace(
        spec, resolve=lambda client: _discovered(client, spec, model, text_fields)
    )


def stream_name(model: str) -> str:
    return model.replace(".", "_")


def configured_models(value: str | None = None) -> list[str]:
    """Model names from ODOO_MODELS (comma- or space-separated); raises on a bad name."""
    models = _split(os.getenv(MODELS_VARIABLE, "") if value is None else value)
    bad = [m for m in models if not _MODEL_NAME.match(m)]
    if bad:
        raise ValueError(
            f"{MODELS_VARIABLE} names {', '.join(map(repr, bad))}, which is not an Odoo model "
            "name (like res.partner). Separate models with commas."
        )
    return models


def _split(text: str) -> list[str]:
    return [m for m in re.split(r"[,\s]+", text.strip()) if m]


def odoo_source(extra_models: list[str] | None = None) -> SourceSpec:
    """The source: the built-in streams plus `extra_models` (default: ODOO_MODELS).

    A malformed ODOO_MODELS does not stop the definitions from loading (every job,
    schedule and the failure alert would vanish with them): the source keeps its
    built-in streams and the well-formed names, and each of its runs fails, before any
    request, with the message naming what is wrong.
    """
    problem = ""
    if extra_models is None:
        try:
            extra_models = configured_models()
        except ValueError as exc:
            problem = f"Odoo: {exc}"
            named = _split(os.getenv(MODELS_VARIABLE, ""))
            extra_models = [m for m in named if _MODEL_NAME.match(m)]
    streams = [model_stream(*spec) for spec in BUILT_IN]
    known = {model for _, model, _, _ in BUILT_IN}
    for model in extra_models:
        if model not in known:
            known.add(model)
            streams.append(model_stream(stream_name(model), model, f"Odoo model `{model}`."))
    return SourceSpec(name="odoo", title="Odoo", streams=tuple(streams), resource=OdooResource,
                      config_error=problem)  # fmt: skip


# -- reading ------------------------------------------------------------------------


def _undiscovered(client: Any, window: Window) -> Iterator[list[Record]]:
    raise RuntimeError("an Odoo stream is synced through its `resolve`")


def _discovered(client: Any, spec: StreamSpec, model: str, text_fields) -> StreamSpec:
    found = discover(client, model, text_fields)
    return dataclasses.replace(
        spec,
        fetch=lambda c, window: pages(c, model, found.fields, window),
        flatten=found.convert,
        columns=found.columns,
        column_descriptions=found.descriptions,
    )


def discover(client: Any, model: str, text_fields=()) -> schema.ModelSchema:
    """The model's schema from `fields_get`, or the id-only fallback with a warning."""
    transport = transport_for(client)
    try:
        described = transport.call(model, "fields_get", attributes=schema.ATTRIBUTES)
    except ApiError as exc:
        if exc.status not in (403, 422, 500):
            raise
        client.log.warning(
            f"odoo: fields_get on {model} failed ({exc}); reading ids only. Give the API "
            "key's user access to the model's field definitions to get every column."
        )
        return schema.id_only()
    return schema.from_fields_get(described, text_fields)


def pages(client: Any, model: str, fields: tuple[str, ...], window: Window) -> Iterator[list]:
    """`search_read` pages in (`write_date`, `id`) order, resuming after the last record.

    Odoo applies `limit` in SQL after its access rules, so a page shorter than the
    limit is the last one. A full read with pages requested ahead
    (`client.config.pages_ahead`) is read in id ranges instead (`ranges`).
    """
    wanted = sorted(set(fields) | set(schema.CURSOR_FIELDS))
    if window.is_full and client.config.pages_ahead > 0:
        yield from id_range_pages(client, model, wanted, context=CONTEXT)
        return
    transport = transport_for(client)
    limit = client.config.page_size
    bounds: list[Any] = []
    if not window.is_full:
        bounds = [["write_date", ">=", _odoo_time(window.start)],
                  ["write_date", "<", _odoo_time(window.end)]]  # fmt: skip
    cursor: tuple[str, int] | None = None
    while True:
        after = [] if cursor is None else [
            "|", ["write_date", ">", cursor[0]],
            "&", ["write_date", "=", cursor[0]], ["id", ">", cursor[1]],
        ]  # fmt: skip
        page = transport.call(model, "search_read", domain=bounds + after, fields=wanted,
                              limit=limit, order=ORDER, context=CONTEXT)  # fmt: skip
        if not isinstance(page, list):
            raise ApiError(f"Odoo: search_read on {model} answered {str(page)[:80]!r}, not a list.")
        if page:
            yield page
        if len(page) < limit:
            return
        last = (page[-1].get("write_date"), page[-1]["id"])
        if cursor is not None and last <= cursor:
            raise ApiError(f"Odoo: search_read on {model} did not move past {cursor}; stopped.")
        cursor = last


def live_ids(client: Any, model: str) -> Iterator[list[Record]]:
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


def _odoo_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


SOURCE = odoo_source()
STREAMS = SOURCE.streams
