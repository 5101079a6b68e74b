"""crm_assets: CRM and ERP data replicated into your own warehouse, as Dagster assets.

The component types come first: the connections in `defs/` name them
(`type: crm_assets.PipedriveConnection`) while `defs` is being built.
"""

from crm_assets.definitions import defs  # noqa: E402, I001
from crm_assets.sources.kommo.connection import KommoConnection
from crm_assets.sources.nectarcrm.connection import NectarCrmConnection
from crm_assets.sources.odoo.connection import OdooConnection
from crm_assets.sources.pipedrive.connection import PipedriveConnection

__all__ = [
    "KommoConnection",
    "NectarCrmConnection",
    "OdooConnection",
    "PipedriveConnection",
    "defs",
]
