"""crm_assets: CRM and ERP data replicated into your own warehouse, as Dagster assets.

What the package offers is imported when first asked for: `import crm_assets` alone
loads no Dagster, so its command-line tools (`python -m crm_assets.emulators`, the
erasure hash) start at once. Dagster finds `defs` (lazy definitions) and `dg` the
four connection types through `dir()`, which lists them.
"""

from importlib import import_module
from typing import Any

_OFFERED = {
    "KommoConnection": "crm_assets.sources.kommo.connection",
    "NectarCrmConnection": "crm_assets.sources.nectarcrm.connection",
    "OdooConnection": "crm_assets.sources.odoo.connection",
    "PipedriveConnection": "crm_assets.sources.pipedrive.connection",
    "defs": "crm_assets.definitions",
}
__all__ = sorted(_OFFERED)


def __getattr__(name: str) -> Any:
    if name not in _OFFERED:
        raise AttributeError(f"module 'crm_assets' has no attribute {name!r}")
    value = getattr(import_module(_OFFERED[name]), name)
    # Bound here, over the subpackage `crm_assets.defs` that importing the definitions
    # binds to the same name.
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_OFFERED})
