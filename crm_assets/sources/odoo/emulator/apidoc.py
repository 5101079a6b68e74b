"""`GET /doc-bearer/<model>.json` (Odoo 19's `api_doc` module): one model's description.

The document Odoo's `DocController.doc_model` answers, which clients read to learn a
method's parameters (odoo-client-lib turns positional arguments into JSON-2's named
ones with it): `{"model", "name", "doc": null, "fields": {...}, "methods": {...}}`.
`fields` is `fields_get()` with each field's `name` and defining `module`; `methods`
describes each public method: its `signature`, `parameters` (a parameter that is
neither positional-only nor `**kwargs` has no `kind`; `default` is there when the
parameter has one), `return`, `api` (`model` for `@api.model` methods, `readonly`),
and the `model` and `module` that define it (`core` for the ORM's own). Deprecated
methods (`read_group` on 19) are left out, as Odoo leaves them out. Odoo adds each
method's docstring as HTML (`doc`, `raise`); the emulator does not.
"""

from __future__ import annotations

import hashlib
from typing import Any

from crm_assets.sources.odoo.emulator.fields import DESCRIPTIONS
from crm_assets.sources.odoo.emulator.orm import MAGIC, Orm

Param = tuple[str, dict[str, Any]]
_DOMAIN = ("domain", {"annotation": "DomainType"})
_OFFSET = ("offset", {"default": 0, "annotation": "int"})
_LIMIT = ("limit", {"default": None, "annotation": "int | None"})
_ORDER = ("order", {"default": None, "annotation": "str | None"})
_FIELDS = ("fields", {"default": None, "annotation": "Sequence[str] | None"})
_OPTIONAL_DOMAIN = ("domain", {"default": None, "annotation": "DomainType | None"})

# Odoo 19's signatures of the methods the emulator serves:
# name: (parameters, return annotation, api, defining model, module).
METHODS: dict[str, tuple[list[Param], str | None, list[str], str, str]] = {
    "search": ([_DOMAIN, _OFFSET, _LIMIT, _ORDER], "list[int]", ["model", "readonly"],
               "core", "core"),
    "search_count": ([_DOMAIN, _LIMIT], "int", ["model", "readonly"], "core", "core"),
    "search_read": ([_OPTIONAL_DOMAIN, _FIELDS, _OFFSET, _LIMIT, _ORDER,
                     ("read_kwargs", {"kind": "VAR_KEYWORD"})],
                    "list[ValuesType]", ["model", "readonly"], "core", "core"),
    "read": ([_FIELDS, ("load", {"default": "_classic_read", "annotation": "str"})],
             "list[ValuesType]", ["readonly"], "core", "core"),
    "fields_get": ([("allfields", {"default": None, "annotation": "Collection[str] | None"}),
                    ("attributes", {"default": None, "annotation": "Collection[str] | None"})],
                   "dict[str, ValuesType]", ["model", "readonly"], "core", "core"),
    "name_search": ([("name", {"default": "", "annotation": "str"}), _OPTIONAL_DOMAIN,
                     ("operator", {"default": "ilike", "annotation": "str"}),
                     ("limit", {"default": 100, "annotation": "int"})],
                    "list[tuple[int, str]]", ["model", "readonly"], "core", "core"),
    "formatted_read_group": ([_DOMAIN, ("groupby", {"default": (), "annotation": "Sequence[str]"}),
                              ("aggregates", {"default": (), "annotation": "Sequence[str]"}),
                              ("having", {"default": (), "annotation": "DomainType"}),
                              _OFFSET, _LIMIT, _ORDER],
                             "list[dict]", ["model", "readonly"], "core", "core"),
    "default_get": ([("fields", {"annotation": "Sequence[str]"})], "ValuesType", ["model"],
                    "core", "core"),
    "create": ([("vals_list", {"annotation": "list[ValuesType]"})], "list[int]", ["model"],
               "core", "core"),
    "write": ([("vals", {"annotation": "ValuesType"})], "typing.Literal[True]", [], "core",
              "core"),
    "unlink": ([], "typing.Literal[True]", [], "core", "core"),
    "context_get": ([], None, ["model"], "res.users", "base"),
    "check_object_reference": ([("module", {}), ("xml_id", {}),
                                ("raise_on_access_error", {"default": False})],
                               None, ["model"], "ir.model.data", "base"),
}  # fmt: skip


def model_document(orm: Orm, model: str) -> dict[str, Any]:
    """The `/doc-bearer/<model>.json` document of `model` (which the caller checked)."""
    fields = orm.m_fields_get(model)
    return {
        "model": model,
        "name": DESCRIPTIONS[model],
        "doc": None,
        "fields": {
            name: {**spec, "name": name, "module": None if name in MAGIC else _module(model)}
            for name, spec in fields.items()
        },
        "methods": {name: _method(name) for name in orm.methods(model) if name in METHODS},
    }


def etag(model: str, version: int) -> str:
    """A validator that changes with what the document describes."""
    return hashlib.sha256(f"{model}/{version}".encode()).hexdigest()[:40]


def _method(name: str) -> dict[str, Any]:
    parameters, returns, api, model, module = METHODS[name]
    shown = []
    for param, spec in parameters:
        # Odoo writes `**read_kwargs` as `read_kwargs` in the signature.
        shown.append(param + (f"={spec['default']!r}" if "default" in spec else ""))
    document: dict[str, Any] = {
        "signature": f"({', '.join(shown)})" + (f" -> {returns}" if returns else ""),
        "parameters": {param: dict(spec) for param, spec in parameters},
        "model": model,
        "module": module,
    }
    if returns:
        document["return"] = {"annotation": returns}
    if api:
        document["api"] = list(api)
    return document


def _module(model: str) -> str:
    if model.startswith("mut."):
        return "mut_insurance"
    return {"account": "account", "product": "product"}.get(model.split(".")[0], "base")
