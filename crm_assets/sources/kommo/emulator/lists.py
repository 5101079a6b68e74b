"""The big lists (leads, contacts, companies, tasks, notes, events), page by page.

Each page is computed from the window's index range (`sequence.py`), so neither a
million records nor page 4,000 costs more than the page itself.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from crm_assets.sources.kommo.emulator.data import ID_BASE, Dataset
from crm_assets.sources.kommo.emulator.hal import bad_request, hal_list, page_args, self_link
from crm_assets.sources.kommo.emulator.sequence import merged_page


class Lists:
    def __init__(self, data: Dataset):
        self.data = data

    def leads(self, request: Request) -> Response:
        with_ = set(filter(None, request.args.get("with", "").split(",")))
        deleted = "only_deleted" in with_
        indexes = self._page(request, "leads", deleted=deleted)
        items = []
        for i in indexes:
            lead = self.data.lead(i)
            lead["_links"] = self_link(request, f"leads/{lead['id']}")
            if not deleted:
                lead["_embedded"] = self.data.lead_embedded(i, with_)
            items.append(lead)
        return self._answer(request, "leads", items)

    def people(self, request: Request, entity: str) -> Response:
        # `with=only_deleted` is a leads-only parameter: here it is ignored, as Kommo does.
        make = self.data.contact if entity == "contacts" else self.data.company
        items = []
        for i in self._page(request, entity, deleted=False):
            record = make(i)
            record["_links"] = self_link(request, f"{entity}/{record['id']}")
            record["_embedded"] = {"tags": [], "companies": []}
            items.append(record)
        return self._answer(request, entity, items)

    def tasks(self, request: Request) -> Response:
        items = [self.data.task(i) for i in self._page(request, "tasks", deleted=False)]
        for task in items:
            task["_links"] = self_link(request, f"tasks/{task['id']}")
        return self._answer(request, "tasks", items)

    def notes(self, request: Request, entity: str) -> Response:
        items = [self.data.note(entity, i) for i in self._page(request, "notes", deleted=False)]
        for note in items:
            note["_links"] = self_link(request, f"{entity}/notes/{note['id']}")
        return self._answer(request, "notes", items)

    def events(self, request: Request) -> Response:
        page, limit = page_args(request)
        low, high = window(request, "created_at")
        wanted, entities = listed(request, "filter[type]"), listed(request, "filter[entity]")
        streams = [
            s
            for s in self.data.events
            if (not wanted or s.name in wanted)
            and (not entities or s.name.partition("_")[0] in entities)
        ]
        found = merged_page(streams, low, high, (page - 1) * limit, limit)
        items = [self.data.event(stream, i, moment) for stream, i, moment in found]
        for event in items:
            event["_links"] = self_link(request, f"events/{event['id']}")
        return hal_list(request, "events", items, page, limit, full_page=len(items) == limit)

    def one(self, request: Request, entity: str, record_id: int) -> dict[str, Any] | None:
        i = record_id - ID_BASE[entity]
        kind = self.data.kinds[entity]
        if not 0 <= i < kind.n or kind.deleted.is_hit(i):
            return None
        record = {"leads": self.data.lead, "contacts": self.data.contact,
                  "companies": self.data.company}[entity](i)  # fmt: skip
        record["_links"] = self_link(request, f"{entity}/{record_id}")
        return record

    # -- shared ---------------------------------------------------------------------

    def _page(self, request: Request, kind: str, *, deleted: bool) -> list[int]:
        page, limit = page_args(request)
        low, high = window(request, "updated_at")
        desc = order(request)
        return self.data.kinds[kind].page(
            low, high, (page - 1) * limit, limit, deleted=deleted, desc=desc
        )

    def _answer(self, request: Request, key: str, items: list[dict]) -> Response:
        page, limit = page_args(request)
        return hal_list(request, key, items, page, limit, full_page=len(items) == limit)


def listed(request: Request, name: str) -> set[str]:
    """A filter given as `name=a,b` or as `name[]=a&name[]=b`."""
    values = set(request.args.getlist(f"{name}[]"))
    return values | set(filter(None, request.args.get(name, "").split(",")))


def window(request: Request, field: str) -> tuple[int | None, int | None]:
    """`filter[<field>][from|to]` (inclusive), in unix seconds; a bare `filter[<field>]`
    means from that moment on."""
    args = request.args
    bare = args.get(f"filter[{field}]")
    if bare:
        raw = (bare, None)
    else:
        raw = (args.get(f"filter[{field}][from]"), args.get(f"filter[{field}][to]"))
    try:
        return tuple(int(v) if v else None for v in raw)  # type: ignore[return-value]
    except ValueError:
        raise bad_request(
            f"filter[{field}] must be unix seconds", path=f"filter[{field}]"
        ) from None


def order(request: Request) -> bool:
    """True for descending. Index order is update order and id order alike."""
    for key in ("order[updated_at]", "order[id]"):
        if key in request.args:
            value = request.args[key]
            if value not in ("asc", "desc"):
                raise bad_request(f"{key} must be asc or desc", path=key)
            return value == "desc"
    if any(k.startswith("order[") for k in request.args):
        raise bad_request("only order[updated_at] and order[id] are emulated", path="order")
    return False
