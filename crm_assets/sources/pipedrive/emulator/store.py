"""What the emulator's handlers read: the seeded dataset and the records built from it.

Kept apart from the WSGI app so the v1, v2 and recents handlers depend on the data
alone, and the app on them, with no import cycle.
"""

from __future__ import annotations

from typing import Any

from crm_assets.sources.pipedrive.emulator.catalog import Catalog
from crm_assets.sources.pipedrive.emulator.children import Children
from crm_assets.sources.pipedrive.emulator.data import Dataset
from crm_assets.sources.pipedrive.emulator.fields import FieldSet
from crm_assets.sources.pipedrive.emulator.query import QueryCache
from crm_assets.sources.pipedrive.emulator.records import Records

# The v2 record builder of each big entity.
SINGULAR = {
    "deals": "deal", "persons": "person", "organizations": "organization",
    "activities": "activity", "products": "product",
}  # fmt: skip


class Store:
    """The dataset, its catalog and custom fields, and caches of sorted queries."""

    def __init__(self, data: Dataset, seed: int):
        self.data = data
        self.catalog = Catalog(data)
        self.fields = FieldSet(seed, self.catalog.origin)
        self.factory = Records(data, self.fields, self.catalog)
        self.children = Children(self.factory)
        self.cache = QueryCache()
        self.recents_cache: tuple[Any, list] | None = None

    def exists(self, entity: str, item_id: int) -> bool:
        """True for a record the API still has (deals deleted over 30 days ago are purged)."""
        if not 1 <= item_id <= self.data.sizes[entity]:
            return False
        return entity != "deals" or self.data.deal_visible(item_id - 1)

    def build(self, entity: str, i: int) -> dict[str, Any]:
        """The v2 record at index i (id i + 1), without option labels."""
        if entity == "notes":
            return self.children.note(i)
        return getattr(self.factory, SINGULAR[entity])(i)
