"""The warehouse (SQLite or PostgreSQL) and its writers: staging, merge, schema
evolution, deletes, history. Imports no other part of core."""

from crm_assets.core.warehouse.columns import identifier
from crm_assets.core.warehouse.history import SUFFIX as HISTORY_SUFFIX
from crm_assets.core.warehouse.resource import (
    DEFAULT_URL,
    URL_VARIABLE,
    Warehouse,
    WarehouseUrlError,
    warehouse_url,
)
from crm_assets.core.warehouse.transactions import Transactions
from crm_assets.core.warehouse.writer import TableWriter, WriteStats

__all__ = [
    "DEFAULT_URL",
    "HISTORY_SUFFIX",
    "URL_VARIABLE",
    "TableWriter",
    "Transactions",
    "Warehouse",
    "WarehouseUrlError",
    "WriteStats",
    "identifier",
    "warehouse_url",
]
