"""Declarative stream specs: what a source is, as data.

A source is a `SourceSpec` holding `StreamSpec`s. Each stream says only what is its
own: its name, key, default sync mode, how to fetch its pages (one callable that
receives the source's client and the window), how to flatten a record, and which
nested lists become child tables. Everything else is shared machinery.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

Record = dict[str, Any]


class SyncMode(StrEnum):
    INCREMENTAL = "INCREMENTAL"
    FULL_TABLE = "FULL_TABLE"


@dataclass(frozen=True)
class Window:
    """The update-time window a sync reads. `start is None` means everything."""

    start: datetime | None
    end: datetime | None

    @property
    def is_full(self) -> bool:
        return self.start is None


class Client(Protocol):
    """What a stream's reads are given: the source's client (`core.http.ApiClient`),
    as far as the reads use it. Named here so specs say what they call, without the
    spec part depending on the HTTP part."""

    config: Any
    # What a source learns once per run and its streams share (a login, a version).
    shared: dict[str, Any]

    def get_json(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        transient: Callable[[Any], str | None] | None = None,
    ) -> Any: ...

    def request_json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        transient: Callable[[Any], str | None] | None = None,
    ) -> Any: ...


Fetch = Callable[[Client, Window], Iterator[list[Record]]]
"""(client, window) -> pages of raw records, in the order the API serves them."""

ListKeys = Callable[[Client], Iterator[list[Record]]]
"""(client) -> pages of records holding (at least) the primary key of every record the
source still has: cheap reads for sources whose deletes leave no trace."""

ANY_COLUMN = "*"


@dataclass(frozen=True)
class Link:
    """A column whose value is the key of a record of another stream of the same source,
    declared so erasing that record's person reaches every row that names them.

    `to` is the stream linked to (a single-column key). The key is the column's value,
    or, when `path` is given, a value inside the column's JSON: `path` names the keys
    down to it, `"*"` standing for every item of a list (`("contacts", "*", "id")`).
    A JSON link's `column` may be `ANY_COLUMN`, for columns named at run time (one per
    custom field): every text column of the table is then looked into.
    `where` holds constant columns a row must have (an entity type), `item_where` keys
    the JSON object holding the key must have (`{"entity_type": "contacts"}`).

    When the linked record is the person's, a row of a `mention` link (a deal naming its
    contact) is kept: the link is emptied (the column, the JSON key, or the list item
    holding it removed), so are the `clears` columns (or keys of the JSON object holding
    the key) that name the person, and the person's names and identifiers are replaced
    in its text. A row of an `owned` link (a note on the contact) is about the person:
    it is erased with them. Rows linking to a kept row that named the person have the
    person's names and identifiers replaced in their text too (a note on the deal).
    """

    to: str
    column: str
    path: tuple[str, ...] = ()
    where: Mapping[str, Any] = field(default_factory=dict)
    item_where: Mapping[str, Any] = field(default_factory=dict)
    clears: tuple[str, ...] = ()
    owned: bool = False


@dataclass(frozen=True)
class ChildSpec:
    """A nested list stored as the table `<parent table>__<name>`.

    `extract` returns the list's items as flat dicts. Rows are keyed by the parent's
    key plus `key` (fields of the item) or, when `key` is empty, the item's position.

    Several streams may share one child table: `table` then names it (after the
    source's table prefix) and `scope` holds constant columns, e.g. the parent's
    entity type, that join the parent's key so one stream's rows never touch another's.
    """

    name: str
    extract: Callable[[Record], Iterable[Record]]
    key: tuple[str, ...] = ()
    columns: Mapping[str, str] = field(default_factory=dict)
    table: str = ""
    scope: Mapping[str, Any] = field(default_factory=dict)
    # Personal data, as on StreamSpec.
    personal: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    personal_rows: Callable[[Record], Mapping[str, str]] | None = None
    # Links to records of other streams, as on StreamSpec.
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class StreamSpec:
    """One table. A flattened row may set `_deleted` when the source reports a delete."""

    name: str
    fetch: Fetch
    description: str
    flatten: Callable[[Record], Record] = dict
    primary_key: tuple[str, ...] = ("id",)
    sync_mode: SyncMode = SyncMode.FULL_TABLE
    children: tuple[ChildSpec, ...] = ()
    # Declared column types (logical names from core.schema), so documented fields
    # exist with the right type even before a value arrives.
    columns: Mapping[str, str] = field(default_factory=dict)
    # What each column means, in the vendor's documentation's terms: shown in the
    # column schema of every materialization.
    column_descriptions: Mapping[str, str] = field(default_factory=dict)
    # Re-read this much before the window: updates the vendor reports late would
    # otherwise fall between two partitions.
    lookback: timedelta = timedelta(0)
    # One request per parent record (e.g. a history endpoint with no bulk form): left
    # out of hourly refreshes, and a full-sync run reads only its window, because a
    # whole re-read would spend a day's API budget.
    per_record_requests: bool = False
    # A stream whose shape the source describes only at run time: called once per run
    # with the client, it returns the spec to sync (discovered columns, descriptions,
    # fetch and flatten). Discovered on every run, so a field added later is a column.
    resolve: Callable[[Client], StreamSpec] | None = None
    # For sources that delete without a trace: after a windowed read, every live row
    # whose key this no longer lists is marked `_deleted` (a full read does that anyway).
    reconcile: ListKeys | None = None
    # Columns holding personal data, by class (`core.privacy.personal_data`: email, phone, cpf,
    # cnpj, person_name, document), which a source's privacy policy protects. A column
    # may be of several classes (a tax id holding a CPF or a CNPJ).
    personal: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    # For a column whose class depends on the row (a long table of custom field
    # values): row as flattened -> {column: class}.
    personal_rows: Callable[[Record], Mapping[str, str]] | None = None
    # Columns holding the key of another stream's record (a deal's contact person),
    # which erasing that record's person follows: see `Link`.
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class SourceSpec:
    name: str
    title: str
    streams: tuple[StreamSpec, ...]
    # The source's SourceResource subclass; its name is the resource key.
    resource: Any
    # Why the source cannot run as configured (a malformed setting read when the
    # definitions load): its assets still load, so every job, schedule and sensor
    # stays, and each of its runs fails with this before any request.
    config_error: str = ""

    @property
    def resource_key(self) -> str:
        return self.name
