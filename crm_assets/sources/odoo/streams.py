"""Odoo streams: the five documented models plus any model named in ODOO_MODELS.

Every model is read the same way (docs/odoo-api.md):
- its columns are discovered with `fields_get` on every run (`fields.py`), so a field
  added later is a column on the next run;
- its pages are read with a keyset on (`write_date`, `id`), or in id ranges for a
  full read with pages requested ahead (`client.py`);
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
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from crm_assets.core.http import ApiClient
from crm_assets.core.spec.streams import Link, Record, SourceSpec, StreamSpec, SyncMode, Window
from crm_assets.sources.odoo.client import live_ids, pages
from crm_assets.sources.odoo.fields import discover
from crm_assets.sources.odoo.resource import OdooResource

MODELS_VARIABLE = "ODOO_MODELS"
_MODEL_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")


class Model(NamedTuple):
    """A built-in model's stream; `text_fields` are stored as text whatever their
    declared type."""

    name: str
    model: str
    description: str
    text_fields: tuple[str, ...] = ()


BUILT_IN = (
    Model(
        name="payment",
        model="account.payment",
        description="Payments (`account.payment`): inbound and outbound, in every state, "
        "with their journal, method, partner and reconciliation.",
    ),
    Model(
        name="insurance_quotation",
        model="mut.insurance.quotation",
        description="Insurance quotations (`mut.insurance.quotation`): proposals with "
        "proponent, product and premium.",
    ),
    Model(
        name="policy",
        model="mut.policy",
        description="Insurance policies (`mut.policy`), linked to the quotation they came "
        "from by `equotation_id`.",
    ),
    Model(
        name="policy_certificate",
        model="mut.policy.certificate",
        description="Policy certificates (`mut.policy.certificate`): one insured item "
        "(vehicle) of a policy.",
        text_fields=("vehicle_cc",),
    ),
    Model(
        name="certificate_coverage",
        model="mut.certificate.coverage",
        description="Certificate coverages (`mut.certificate.coverage`): the coverage lines "
        "of a certificate.",
    ),
)


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


def model_stream(
    *, name: str, model: str, description: str, text_fields: Sequence[str] = ()
) -> StreamSpec:
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


def configured_models(value: str | None = None, variable: str = MODELS_VARIABLE) -> list[str]:
    """Model names from `value`, else `variable` (comma- or space-separated); raises on a
    bad name."""
    models = _split(os.getenv(variable, "") if value is None else value)
    bad = [m for m in models if not _MODEL_NAME.match(m)]
    if bad:
        raise ValueError(
            f"{variable} names {', '.join(map(repr, bad))}, which is not an Odoo model "
            "name (like res.partner). Separate models with commas."
        )
    return models


def _split(text: str) -> list[str]:
    return [m for m in re.split(r"[,\s]+", text.strip()) if m]


def odoo_source(
    extra_models: list[str] | None = None, variable: str = MODELS_VARIABLE
) -> SourceSpec:
    """The source: the built-in streams plus `extra_models` (default: those `variable`
    names).

    A malformed ODOO_MODELS does not stop the definitions from loading (every job,
    schedule and the failure alert would vanish with them): the source keeps its
    built-in streams and the well-formed names, and each of its runs fails, before any
    request, with the message naming what is wrong.
    """
    problem = ""
    if extra_models is None:
        try:
            extra_models = configured_models(variable=variable)
        except ValueError as exc:
            problem = f"Odoo: {exc}"
            named = _split(os.getenv(variable, ""))
            extra_models = [m for m in named if _MODEL_NAME.match(m)]
    streams = [model_stream(**built_in._asdict()) for built_in in BUILT_IN]
    known = {built_in.model for built_in in BUILT_IN}
    for model in extra_models:
        if model not in known:
            known.add(model)
            streams.append(
                model_stream(
                    name=stream_name(model), model=model, description=f"Odoo model `{model}`."
                )
            )
    return SourceSpec(name="odoo", title="Odoo", streams=tuple(streams), resource=OdooResource,
                      config_error=problem)  # fmt: skip


# -- discovery: the spec a stream runs with ---------------------------------------


def _undiscovered(client: ApiClient, window: Window) -> Iterator[list[Record]]:
    raise RuntimeError("an Odoo stream is synced through its `resolve`")


def _discovered(
    client: ApiClient, spec: StreamSpec, model: str, text_fields: Sequence[str]
) -> StreamSpec:
    found = discover(client, model, text_fields)
    return dataclasses.replace(
        spec,
        fetch=lambda c, window: pages(c, model, found.fields, window),
        flatten=found.convert,
        columns=found.columns,
        column_descriptions=found.descriptions,
    )


SOURCE = odoo_source()
STREAMS = SOURCE.streams
