"""The model methods every transport reaches: `search_read`, `search`, `fields_get`, ...

Each method takes Odoo's own arguments (positional, as `execute_kw` passes them, or
by name, as JSON-2 does) and answers what the ORM would. Errors are `OdooError`s
carrying the exception name Odoo reports and the HTTP status JSON-2 gives it.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from crm_assets.sources.odoo.emulator.domain import DomainError, compile_domain, render, sort

Record = dict[str, Any]
# `@api.model` methods: called on the model, so JSON-2 refuses `ids` for them (422).
MODEL_METHODS = {"search", "search_count", "search_read", "fields_get", "context_get"}


class OdooError(Exception):
    def __init__(self, name: str, message: str, status: int):
        super().__init__(message)
        self.name, self.message, self.status = name, message, status


def access_error(model: str) -> OdooError:
    return OdooError(
        "odoo.exceptions.AccessError",
        f"You are not allowed to access '{model}' ({model}) records.\n\n"
        "This operation is allowed for the following groups:\n\t- Administration/Settings",
        403,
    )


@dataclass(frozen=True)
class Call:
    """One model method served: its arguments by name, whichever transport sent them."""

    model: str
    method: str
    arguments: dict[str, Any]


class Orm:
    """Answers model methods over `tables` ({model: {id: record}}) and `fields`."""

    def __init__(self, tables: dict[str, dict[int, Record]], fields: dict[str, dict]):
        self.tables, self.fields = tables, fields
        # Models whose `fields_get` the API user may not call (an ACL on ir.model.fields).
        self.fields_get_refused: set[str] = set()
        self.calls: list[Call] = []
        self._orders: dict[tuple[str, str], list[Record]] = {}
        # Each table's id sequence (PostgreSQL's): a deleted id is never given again.
        self._next_ids = {model: max(table, default=0) + 1 for model, table in tables.items()}

    def next_id(self, model: str) -> int:
        record_id, self._next_ids[model] = self._next_ids[model], self._next_ids[model] + 1
        return record_id

    def call(self, model: str, method: str, args: list, kwargs: dict, ids: list | None = None):
        if model not in self.tables:
            raise OdooError("builtins.KeyError", repr(model), 404)
        handler = getattr(self, f"m_{method}", None)
        if handler is None:
            raise OdooError(
                "werkzeug.exceptions.NotFound",
                f"The method {method!r} does not exist on the model {model!r}",
                404,
            )
        if ids is not None and method in MODEL_METHODS:
            raise OdooError(
                "werkzeug.exceptions.UnprocessableEntity",
                f"cannot call {model}.{method} with ids",
                422,
            )
        if ids is not None:
            args = [ids, *args]
        try:
            bound = inspect.signature(handler).bind(model, *args, **kwargs)
        except TypeError as exc:
            raise OdooError("werkzeug.exceptions.UnprocessableEntity", str(exc), 422) from None
        arguments = {k: v for k, v in bound.arguments.items() if k != "model"}
        self.calls.append(Call(model, method, arguments))
        try:
            return handler(*bound.args, **bound.kwargs)
        except DomainError as exc:
            raise OdooError("builtins.ValueError", str(exc), 500) from None

    def display(self, model: str, record_id: int) -> str:
        record = self.tables.get(model, {}).get(record_id)
        return (
            record.get("display_name") or record.get("name") if record else f"{model},{record_id}"
        )

    # -- methods (`m_<name>`: model first, then Odoo's own signature) ---------------

    def m_search(self, model, domain, offset=0, limit=None, order=None, context=None):
        return [r["id"] for r in self._search(model, domain, offset, limit, order, context)]

    def m_search_count(self, model, domain, limit=None, context=None):
        return len(self._search(model, domain, 0, limit, None, context))

    def m_search_read(self, model, domain=None, fields=None, offset=0, limit=None, order=None,
                      context=None, load="_classic_read"):  # fmt: skip
        records = self._search(model, domain or [], offset, limit, order, context)
        return self._read(model, records, fields, load)

    def m_read(self, model, ids, fields=None, context=None, load="_classic_read"):
        table = self.tables[model]
        missing = [i for i in ids if i not in table]
        if missing:
            raise OdooError(
                "odoo.exceptions.MissingError",
                f"Record does not exist or has been deleted.\n(Record: {model}({missing[0]},))",
                404,
            )
        return self._read(model, [table[i] for i in ids], fields, load)

    def m_fields_get(self, model, allfields=None, attributes=None, context=None):
        if model in self.fields_get_refused:
            raise access_error("ir.model.fields")
        out = {}
        for name, spec in self.fields[model].items():
            if allfields and name not in allfields:
                continue
            out[name] = {k: v for k, v in spec.items() if not attributes or k in attributes}
        return out

    def m_context_get(self, model, context=None):
        return {"lang": "pt_BR", "tz": "America/Sao_Paulo", "uid": 2}

    def m_check_access_rights(self, model, operation="read", raise_exception=True):
        return True

    # -- helpers --------------------------------------------------------------------

    def _search(self, model, domain, offset, limit, order, context) -> list[Record]:
        fields = self.fields[model]
        predicate = compile_domain(domain, fields)
        active_test = (context or {}).get("active_test", True)
        mentions_active = any(isinstance(t, list | tuple) and t[0] == "active" for t in domain)
        hide_archived = "active" in fields and active_test and not mentions_active
        offset = int(offset or 0)
        wanted = offset + int(limit) if limit else None
        found: list[Record] = []
        for record in self._ordered(model, order):
            if predicate(record) and not (hide_archived and record.get("active") is False):
                found.append(record)
                if wanted is not None and len(found) >= wanted:
                    break
        return found[offset:]

    def changed(self) -> None:
        """Say that records were added, edited or deleted (drops the cached orders)."""
        self._orders.clear()

    def _ordered(self, model: str, order: str | None) -> list[Record]:
        # Sorting a big model for every page would make the emulator, not the client,
        # what a benchmark measures: orders are kept until the data changes.
        key = (model, order or "id")
        if key not in self._orders:
            self._orders[key] = sort(list(self.tables[model].values()), order, self.fields[model])
        return self._orders[key]

    def _read(self, model: str, records: list[Record], names: list[str] | None,
              load: str | None = "_classic_read") -> list[Record]:  # fmt: skip
        fields = self.fields[model]
        # Any other `load` reads a many2one as its bare id.
        display = self.display if load == "_classic_read" else None
        # No field list reads every field, computed ones included, as Odoo does.
        names = [n for n in (names or list(fields)) if n != "id"]
        try:
            return [render(r, names, fields, display) for r in records]
        except DomainError as exc:
            raise OdooError("builtins.ValueError", f"{exc} {model!r}", 500) from None
