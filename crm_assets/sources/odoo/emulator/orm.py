"""The model methods every transport reaches: `search_read`, `search`, `create`, ...

Each method takes Odoo's own arguments (positional, as `execute_kw` passes them, or
by name, as JSON-2 does), with `context` by name only, and answers what the ORM
would. Errors are `OdooError`s carrying the exception name Odoo reports and the
HTTP status JSON-2 gives it. What a transport says of a model or method the server
lacks differs between transports: each passes its `Dialect`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from crm_assets.sources.odoo.emulator.data import FMT, new_record
from crm_assets.sources.odoo.emulator.domain import DomainError, compile_domain, render, sort
from crm_assets.sources.odoo.emulator.grouping import formatted_read_group, read_group

Record = dict[str, Any]
# `@api.model` methods: called on the model, so JSON-2 refuses `ids` for them (422).
MODEL_METHODS = {"search", "search_count", "search_read", "fields_get", "context_get",
                 "check_access_rights", "name_search", "create", "default_get", "read_group",
                 "formatted_read_group", "check_object_reference"}  # fmt: skip
# Methods one model alone defines.
OWN_METHODS = {"context_get": "res.users", "check_object_reference": "ir.model.data"}
# Methods a later version added, with that version.
SINCE = {"formatted_read_group": 19}
# Columns the ORM keeps itself: a write to them is ignored.
MAGIC = {"id", "display_name", "create_date", "create_uid", "write_date", "write_uid"}
# The defaults the emulated models declare: a new record is active, in the company.
DEFAULTS = {"active": True, "company_id": 1}
# Parameters Odoo 17 names otherwise (18 renamed them): {(method, 17's name): 18's}.
RENAMED_IN_18 = {("name_search", "args"): "domain", ("default_get", "fields_list"): "fields"}


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
class Dialect:
    """How a transport answers a model or method the server lacks, and what it makes
    of the records `create` returns."""

    unknown_model: Callable[[str], OdooError]
    unknown_method: Callable[[str, str], OdooError]
    bad_arguments: Callable[[str], OdooError]
    # RPC's `call_kw` answers `create({...})` with the id, `create([{...}])` with ids;
    # JSON-2 always with the ids.
    create_one_id: bool


def _no_attribute(model: str, method: str) -> OdooError:
    message = f"The method '{method}' does not exist on the model '{model}'"
    return OdooError("builtins.AttributeError", message, 500)


JSON2 = Dialect(
    lambda model: OdooError("builtins.KeyError", repr(model), 404),
    lambda model, method: OdooError(
        "werkzeug.exceptions.NotFound",
        f"The method {method!r} does not exist on the model {model!r}",
        404,
    ),
    lambda message: OdooError("werkzeug.exceptions.UnprocessableEntity", message, 422),
    create_one_id=False,
)
# `execute_kw` over XML-RPC and JSON-RPC (`odoo.service.model.execute_cr`).
EXECUTE = Dialect(
    lambda model: OdooError("odoo.exceptions.UserError", f"Object {model} doesn't exist", 422),
    _no_attribute,
    lambda message: OdooError("builtins.TypeError", message, 500),
    create_one_id=True,
)
# The web client's `/web/dataset/call_kw` (`request.env[model]`, then `call_kw`).
CALL_KW = Dialect(JSON2.unknown_model, _no_attribute, EXECUTE.bad_arguments, create_one_id=True)


def missing_error(model: str, ids: list) -> OdooError:
    return OdooError(
        "odoo.exceptions.MissingError",
        f"Record does not exist or has been deleted.\n(Record: {model}({ids[0]},), User: 2)",
        404,
    )


@dataclass(frozen=True)
class Call:
    """One model method served: its arguments by name, whichever transport sent them."""

    model: str
    method: str
    arguments: dict[str, Any]


class Orm:
    """Answers model methods over `tables` ({model: {id: record}}) and `fields`."""

    def __init__(self, tables: dict[str, dict[int, Record]], fields: dict[str, dict],
                 version: int = 19, uid: int = 2):  # fmt: skip
        self.tables, self.fields, self.version, self.uid = tables, fields, version, uid
        # Models whose `fields_get` the API user may not call (an ACL on ir.model.fields).
        self.fields_get_refused: set[str] = set()
        self.calls: list[Call] = []
        self._orders: dict[tuple[str, str], list[Record]] = {}
        # Each table's id sequence (PostgreSQL's): a deleted id is never given again.
        self._next_ids = {model: max(table, default=0) + 1 for model, table in tables.items()}

    def next_id(self, model: str) -> int:
        record_id, self._next_ids[model] = self._next_ids[model], self._next_ids[model] + 1
        return record_id

    def methods(self, model: str) -> list[str]:
        """The public methods `model` has, by name."""
        names = [n.removeprefix("m_") for n in dir(self) if n.startswith("m_")]
        return sorted(n for n in names if self._has(model, n))

    def _has(self, model: str, method: str) -> bool:
        return (
            hasattr(self, f"m_{method}")
            and OWN_METHODS.get(method, model) == model
            and self.version >= SINCE.get(method, 0)
        )

    def call(self, model: str, method: str, args: list, kwargs: dict, ids: Any = None,
             dialect: Dialect = JSON2):  # fmt: skip
        if method.startswith("_"):
            raise OdooError(
                "odoo.exceptions.AccessError",
                f"Private methods (such as {method}) cannot be called remotely.",
                403,
            )
        if model not in self.tables:
            raise dialect.unknown_model(model)
        if not self._has(model, method):
            raise dialect.unknown_method(model, method)
        handler = getattr(self, f"m_{method}")
        if ids is not None and method in MODEL_METHODS:
            raise OdooError(
                "werkzeug.exceptions.UnprocessableEntity",
                f"cannot call {model}.{method} with ids",
                422,
            )
        if ids is not None:
            args = [ids, *args]
        if method not in MODEL_METHODS and args and not isinstance(args[0], list):
            args = [[args[0]] if args[0] else [], *args[1:]]  # one id, or none (False)
        try:
            bound = inspect.signature(handler).bind(model, *args, **self._named(method, kwargs))
        except TypeError as exc:
            raise dialect.bad_arguments(str(exc)) from None
        arguments = {k: v for k, v in bound.arguments.items() if k != "model"}
        self.calls.append(Call(model, method, arguments))
        try:
            result = handler(*bound.args, **bound.kwargs)
        except DomainError as exc:
            raise OdooError("builtins.ValueError", str(exc), 500) from None
        if method == "create" and dialect.create_one_id and isinstance(arguments["vals_list"],
                                                                       Mapping):  # fmt: skip
            return result[0]
        return result

    def _named(self, method: str, kwargs: dict) -> dict:
        """`kwargs` under the emulator's parameter names (18's): 17 names a few otherwise,
        and refuses 18's names for them, as any unexpected keyword."""
        if self.version >= 18:
            return kwargs
        newer = {new for (m, _), new in RENAMED_IN_18.items() if m == method}
        for name in kwargs:
            if name in newer:
                raise TypeError(f"{method}() got an unexpected keyword argument '{name}'")
        return {RENAMED_IN_18.get((method, k), k): v for k, v in kwargs.items()}

    def display(self, model: str, record_id: int) -> str:
        record = self.tables.get(model, {}).get(record_id)
        return (
            record.get("display_name") or record.get("name") if record else f"{model},{record_id}"
        )

    # -- methods (`m_<name>`: model first, then Odoo's own signature) ---------------

    def m_search(self, model, domain, offset=0, limit=None, order=None, *, context=None):
        return [r["id"] for r in self._search(model, domain, offset, limit, order, context)]

    def m_search_count(self, model, domain, limit=None, *, context=None):
        return len(self._search(model, domain, 0, limit, None, context))

    def m_search_read(self, model, domain=None, fields=None, offset=0, limit=None, order=None,
                      *, context=None, load="_classic_read"):  # fmt: skip
        records = self._search(model, domain or [], offset, limit, order, context)
        return self._read(model, records, fields, load)

    def m_read(self, model, ids, fields=None, load="_classic_read", *, context=None):
        return self._read(model, self._existing(model, ids), fields, load)

    def m_fields_get(self, model, allfields=None, attributes=None, *, context=None):
        if model in self.fields_get_refused:
            raise access_error("ir.model.fields")
        out = {}
        for name, spec in self.fields[model].items():
            if allfields and name not in allfields:
                continue
            out[name] = {k: v for k, v in spec.items() if not attributes or k in attributes}
        return out

    def m_name_search(self, model, name="", domain=None, operator="ilike", limit=100, *,
                      context=None):  # fmt: skip
        domain = list(domain or [])
        if name:
            field = "name" if "name" in self.fields[model] else "display_name"
            domain.append([field, operator, name])
        records = self._search(model, domain, 0, limit, None, context)
        return [[r["id"], r.get("display_name") or r.get("name")] for r in records]

    def m_read_group(self, model, domain, fields, groupby, offset=0, limit=None,
                     orderby=False, lazy=True, *, context=None):  # fmt: skip
        records = self._search(model, domain, 0, None, None, context)
        return read_group(records, self.fields[model], domain, fields, groupby, offset, limit,
                          orderby, lazy, self.display)  # fmt: skip

    def m_formatted_read_group(self, model, domain, groupby=(), aggregates=(), having=(),
                               offset=0, limit=None, order=None, *, context=None):  # fmt: skip
        if having:
            raise OdooError("builtins.ValueError", "The emulator does not filter groups", 500)
        records = self._search(model, domain, 0, None, None, context)
        return formatted_read_group(records, self.fields[model], groupby, aggregates, offset,
                                    limit, order, self.display)  # fmt: skip

    def m_default_get(self, model, fields, *, context=None):
        return {f: DEFAULTS[f] for f in fields if f in DEFAULTS and f in self.fields[model]}

    def m_create(self, model, vals_list, *, context=None):
        now = datetime.now(UTC)
        ids = []
        for vals in [vals_list] if isinstance(vals_list, Mapping) else vals_list:
            record_id = self.next_id(model)
            values = self.m_default_get(model, list(DEFAULTS)) | self._values(model, vals, {})
            record = new_record(model, record_id, self.fields[model], values, now, now, self.uid)
            record["create_uid"] = self.uid
            self.tables[model][record_id] = record
            ids.append(record_id)
        self.changed()
        return ids

    def m_write(self, model, ids, vals, *, context=None):
        now = datetime.now(UTC).strftime(FMT)
        for record in self._existing(model, ids):
            record.update(self._values(model, vals, record), write_date=now, write_uid=self.uid)
            if "name" in vals:
                record["display_name"] = record["name"] or f"{model},{record['id']}"
        self.changed()
        return True

    def m_unlink(self, model, ids, *, context=None):
        for record in self._existing(model, ids):
            del self.tables[model][record["id"]]
        self.changed()
        return True

    def m_context_get(self, model, *, context=None):
        return {"lang": "pt_BR", "tz": "America/Sao_Paulo", "uid": self.uid}

    def m_check_access_rights(self, model, operation="read", raise_exception=True, *,
                              context=None):  # fmt: skip
        return True

    def m_check_object_reference(self, model, module, xml_id, raise_on_access_error=False, *,
                                 context=None):  # fmt: skip
        for row in self.tables["ir.model.data"].values():
            if (row["module"], row["name"]) == (module, xml_id):
                return [row["model"], row["res_id"]]
        raise OdooError(
            "builtins.ValueError", f"External ID not found in the system: {module}.{xml_id}", 500
        )

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

    def _existing(self, model: str, ids: list) -> list[Record]:
        table = self.tables[model]
        missing = [i for i in ids if i not in table]
        if missing:
            raise missing_error(model, missing)
        return [table[i] for i in ids]

    def _values(self, model: str, vals: Any, record: Record) -> Record:
        """`vals` as stored: unknown fields refused, the ORM's own columns and computed
        fields ignored, x2many commands applied to `record`'s ids."""
        if not isinstance(vals, Mapping):
            raise OdooError("builtins.TypeError", f"vals must be a dict, not {vals!r}", 422)
        fields, out = self.fields[model], {}
        for name, value in vals.items():
            spec = fields.get(name)
            if spec is None:
                raise OdooError("builtins.ValueError",
                                f"Invalid field {name!r} on model {model!r}", 500)  # fmt: skip
            if name in MAGIC or not spec["store"]:
                continue
            if spec["type"] in ("one2many", "many2many"):
                value = x2many(record.get(name) or [], value)
            elif spec["type"] == "selection" and value and value not in dict(spec["selection"]):
                raise OdooError("builtins.ValueError",
                                f"Wrong value for {model}.{name}: {value!r}", 500)  # fmt: skip
            out[name] = value
        return out

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


def x2many(ids: list[int], value: Any) -> list[int]:
    """An x2many value after a write: a list of ids sets it; of Odoo's commands, set (6),
    link (4), unlink (3) and clear (5) are applied."""
    if isinstance(value, list) and all(isinstance(v, int) for v in value):
        return list(value)
    ids = list(ids)
    for command in value or []:
        code = command[0] if isinstance(command, list | tuple) and command else None
        if code == 6:
            ids = list(command[2])
        elif code == 4 and command[1] not in ids:
            ids.append(command[1])
        elif code == 3:
            ids = [i for i in ids if i != command[1]]
        elif code == 5:
            ids = []
        else:
            raise OdooError("builtins.ValueError", f"Unsupported command {command!r}", 500)
    return ids
