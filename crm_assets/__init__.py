"""crm_assets: CRM and ERP data replicated into your own warehouse, as Dagster assets."""

from crm_assets.definitions import defs

__all__ = ["defs"]
