"""A NectarCRM API v1 emulator: a WSGI app that answers as the vendor does.

Behaviour as docs/nectarcrm-api.md describes the vendor's:
- Mounted at `/crm/api/1/`. The token travels in an `Access-Token` header or as
  `?api_token=`; a wrong one is HTTP 401 with the plain body `Invalid token`, which
  the vendor labels `text/json`.
- A bad parameter is also a 401 (`{"erro": "Parâmetro inválido: <name>"}`); an
  unknown path is a 404.
- Lists are bare JSON arrays sorted by id, paged with `page` (1-based; -1 means the
  first 200) and `displayLength` (50 when absent), capped at the documented maximum:
  200 (`max_page_size`), 100 for `/publicacao`. Past the end comes `[]`.
- Date filters are `dd/MM/yyyy`, inclusive, on the São Paulo calendar day.
- `/oportunidades` without `status` serves only open deals, `/pipeline` without
  `type` only sales pipelines.
- Deletes are hard: a deleted record just stops being listed.
Also served: `/<resource>/<id>`, `/compromissos/tipos`, the documented path aliases
and `attribute=` projection. The records themselves come from `emulator_data`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from crm_assets.core.emulation import EmulatorApp
from crm_assets.sources.nectarcrm.emulator.data import build
from crm_assets.sources.nectarcrm.emulator.vocabulary import (
    APPOINTMENT_TYPES,
    Record,
    format_stamp,
    local_day,
    resolve_sizes,
)

PREFIX = "/crm/api/1/"
ALIASES = {
    "camposPersonalizados": "campoPersonalizado", "customField": "campoPersonalizado",
    "customFields": "campoPersonalizado", "usuarios": "usuario", "qualificacao": "qualificacoes",
}  # fmt: skip
PAGE_ALL = 200  # what page=-1 serves: "lista o máximo de objetos: 200"
DEFAULT_PAGE_SIZE = 50
JSON_TYPE = "application/json; charset=utf-8"
# The vendor labels error bodies text/json; the charset keeps "Parâmetro" readable.
ERROR_TYPE = "text/json; charset=utf-8"
DATE_PARAMETER = re.compile(r"\d{2}/\d{2}/\d{4}")

UPDATED = (("dataInicioAtualizacao", "dataAtualizacao", False),
           ("dataFimAtualizacao", "dataAtualizacao", True))  # fmt: skip
CREATED = (("dataInicio", "dataCriacao", False), ("dataFim", "dataCriacao", True))


def _ref_id(key: str) -> Callable[[Record], Any]:
    return lambda r: (r.get(key) or {}).get("id")


@dataclass(frozen=True)
class Listing:
    """The list parameters a resource honours; it ignores any other."""

    # (parameter, timestamp field, is the upper bound)
    dates: tuple[tuple[str, str, bool], ...] = ()
    # integer parameter -> the record value it must equal
    numbers: Mapping[str, Callable[[Record], Any]] = field(default_factory=dict)
    # comma-separated integers -> the record value that must be one of them
    id_lists: Mapping[str, Callable[[Record], Any]] = field(default_factory=dict)
    # true/false parameter -> the record value it must equal
    flags: Mapping[str, Callable[[Record], Any]] = field(default_factory=dict)
    # what an absent parameter means (the vendor hides some records by default)
    defaults: Mapping[str, int] = field(default_factory=dict)
    page_cap: int | None = None


def _status(r: Record) -> Any:
    return r["status"]


LISTINGS: dict[str, Listing] = {
    "contatos": Listing(
        dates=UPDATED + CREATED,
        numbers={"constante": lambda r: r["constante"]},
        id_lists={"responsaveisId": _ref_id("responsavel")},
    ),
    "oportunidades": Listing(
        dates=UPDATED,
        numbers={
            "status": _status,
            "pipelineId": _ref_id("funilVenda"),
            "clienteId": _ref_id("cliente"),
        },  # fmt: skip
        defaults={"status": 1},
    ),
    "qualificacoes": Listing(
        dates=UPDATED + CREATED, numbers={"status": _status, "clienteId": _ref_id("cliente")}
    ),
    "proposta": Listing(numbers={"status": _status}),
    "publicacao": Listing(page_cap=100),
    "pipeline": Listing(numbers={"type": lambda r: r["tipo"]}, defaults={"type": 0}),
    "tabelaPreco": Listing(flags={"active": lambda r: r["ativo"]}),
}


class BadParameter(Exception):
    """A list parameter the vendor would refuse; it answers 401, not 400."""


class NectarCrmEmulator(EmulatorApp):
    """NectarCRM API v1 over WSGI, with seeded data and the admin methods tests use.

    `records`, `delete`, `touch` and `malform` take resource names as the API's paths
    spell them: "contatos", "oportunidades", "produto", ...
    """

    def __init__(
        self,
        *,
        token: str = "demo-token",
        seed: int = 7,
        anchor: date | None = None,
        scale: float = 1.0,
        sizes: dict[str, int] | None = None,
        max_page_size: int = PAGE_ALL,
        latency: float = 0.0,
        extra_contact_fields: dict[str, object] | None = None,
    ):
        super().__init__(latency=latency)
        self.token = token
        self.seed = seed
        # The only use of the wall clock: which day the data's last updates fall on.
        self.anchor = anchor or datetime.now(UTC).date()
        self.sizes = resolve_sizes(scale, sizes)
        self.max_page_size = max_page_size
        data = build(seed, self.anchor, self.sizes)
        for contact in data["contatos"]:
            contact.update(extra_contact_fields or {})
        # Ids are generated ascending, so each dict iterates in id order.
        self._tables: dict[str, dict[int, Record]] = {
            name: {row["id"]: row for row in rows} for name, rows in data.items()
        }
        self._malformed: set[tuple[str, int]] = set()
        # Filtered lists by (resource, filters), so paging through one costs a slice;
        # cleared whenever data changes.
        self._selections: dict[tuple, list[Record]] = {}
        self._days: dict[tuple[str, str], dict[int, date]] = {}

    # -- admin API (Python, not HTTP) ------------------------------------------------

    def records(self, resource: str) -> list[Record]:
        """Every record of `resource` as served (a copy, all statuses), ordered by id."""
        with self.lock:
            return json.loads(json.dumps(list(self._table(resource).values())))

    def delete(self, resource: str, record_id: int) -> None:
        """Remove a record for good; the vendor keeps no tombstone."""
        with self.lock:
            del self._table(resource)[record_id]
            self._changed()

    def touch(self, resource: str, record_id: int, when: datetime) -> None:
        """Set `dataAtualizacao` to `when` (naive means UTC), in the record's own format."""
        with self.lock:
            record = self._table(resource)[record_id]
            if "dataAtualizacao" not in record:
                raise ValueError(f"{resource} records have no dataAtualizacao to touch")
            stamp = format_stamp(when, utc=record["dataAtualizacao"].endswith("Z"))
            record["dataAtualizacao"] = stamp
            if datetime.fromisoformat(record["dataCriacao"]) > datetime.fromisoformat(stamp):
                record["dataCriacao"] = stamp
            self._changed()

    def malform(self, resource: str, page: int) -> None:
        """Serve `page` of `resource` once as HTTP 200 with a truncated JSON body."""
        with self.lock:
            self._table(resource)
            self._malformed.add((ALIASES.get(resource, resource), page))

    def _table(self, resource: str) -> dict[int, Record]:
        name = ALIASES.get(resource, resource)
        if name not in self._tables:
            raise KeyError(f"no resource {resource!r}; known: {sorted(self._tables)}")
        return self._tables[name]

    def _changed(self) -> None:
        self._selections.clear()
        self._days.clear()

    # -- HTTP -------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if not self._authorized(request):
            return Response("Invalid token", status=401, content_type="text/json")
        if request.method != "GET":
            return _error(405, "Método não suportado pelo emulador")
        parts = [p for p in request.path.removeprefix(PREFIX).split("/") if p]
        if not request.path.startswith(PREFIX) or not parts or len(parts) > 2:
            return _error(404, "Recurso não encontrado")
        if parts == ["compromissos", "tipos"]:
            return _json([{"id": i, "nome": n} for i, n in APPOINTMENT_TYPES])
        name = ALIASES.get(parts[0], parts[0])
        if name not in self._tables:
            return _error(404, "Recurso não encontrado")
        if len(parts) == 2:
            record = self._tables[name].get(int(parts[1])) if parts[1].isdigit() else None
            return _json(record) if record else _error(404, "Recurso não encontrado")
        try:
            rows = self._page(name, request.args)
        except BadParameter as exc:
            return _error(401, f"Parâmetro inválido: {exc}")
        attributes = request.args.getlist("attribute")
        if attributes:
            rows = [{k: r[k] for k in attributes if k in r} for r in rows]
        page = request.args.get("page", "1")
        if (name, int(page)) in self._malformed:
            self._malformed.discard((name, int(page)))
            body = _dumps(rows)
            return Response(body[: max(1, len(body) // 2)], content_type=JSON_TYPE)
        return _json(rows)

    def _authorized(self, request: Request) -> bool:
        return self.token in (request.headers.get("Access-Token"), request.args.get("api_token"))

    def _page(self, name: str, args: MultiDict) -> list[Record]:
        listing = LISTINGS.get(name, Listing())
        page = _integer(args, "page", 1)
        length = _integer(args, "displayLength", 0)
        if page == 0 or page < -1:
            raise BadParameter("page")
        if length < 0:
            raise BadParameter("displayLength")
        rows = self._select(name, listing, args)
        if page == -1:
            return rows[:PAGE_ALL]
        size = min(length or DEFAULT_PAGE_SIZE, listing.page_cap or PAGE_ALL, self.max_page_size)
        return rows[(page - 1) * size : page * size]

    def _select(self, name: str, listing: Listing, args: MultiDict) -> list[Record]:
        tests: list[Callable[[Record], bool]] = []
        key: list[Any] = [name]
        for param, stamp_field, upper in listing.dates:
            if param in args:
                bound = _date(args, param)
                days = self._local_days(name, stamp_field)
                tests.append(_day_test(days, bound, upper))
                key.append((param, bound))
        for param, value_of in listing.numbers.items():
            wanted = _integer(args, param, listing.defaults.get(param))
            if wanted is not None:
                tests.append(lambda r, v=value_of, w=wanted: v(r) == w)
                key.append((param, wanted))
        for param, value_of in listing.id_lists.items():
            if param in args:
                wanted_ids = _integers(args, param)
                tests.append(lambda r, v=value_of, w=wanted_ids: v(r) in w)
                key.append((param, tuple(sorted(wanted_ids))))
        for param, value_of in listing.flags.items():
            if param in args:
                flag = _flag(args, param)
                tests.append(lambda r, v=value_of, w=flag: v(r) is w)
                key.append((param, flag))
        cache_key = tuple(key)
        if cache_key not in self._selections:
            if len(self._selections) > 256:
                self._selections.clear()
            rows = self._tables[name].values()
            self._selections[cache_key] = [r for r in rows if all(t(r) for t in tests)]
        return self._selections[cache_key]

    def _local_days(self, name: str, stamp_field: str) -> dict[int, date]:
        key = (name, stamp_field)
        if key not in self._days:
            self._days[key] = {i: local_day(r[stamp_field]) for i, r in self._tables[name].items()}
        return self._days[key]


def _day_test(days: dict[int, date], bound: date, upper: bool) -> Callable[[Record], bool]:
    if upper:
        return lambda r: days[r["id"]] <= bound
    return lambda r: days[r["id"]] >= bound


def _integer(args: MultiDict, name: str, default: int | None) -> Any:
    value = args.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise BadParameter(name) from None


def _integers(args: MultiDict, name: str) -> set[int]:
    try:
        return {int(v) for raw in args.getlist(name) for v in raw.split(",") if v.strip()}
    except ValueError:
        raise BadParameter(name) from None


def _flag(args: MultiDict, name: str) -> bool:
    value = args.get(name, "").lower()
    if value not in ("true", "false"):
        raise BadParameter(name)
    return value == "true"


def _date(args: MultiDict, name: str) -> date:
    value = args.get(name, "")
    try:
        if not DATE_PARAMETER.fullmatch(value):
            raise ValueError(value)
        return datetime.strptime(value, "%d/%m/%Y").date()
    except ValueError:
        raise BadParameter(name) from None


def _dumps(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def _json(payload: Any) -> Response:
    return Response(_dumps(payload), content_type=JSON_TYPE)


def _error(status: int, message: str) -> Response:
    return Response(_dumps({"erro": message}), status=status, content_type=ERROR_TYPE)
