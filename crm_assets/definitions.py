"""The code location: every connection in `defs/`, and what spans them.

Each folder of `crm_assets/defs/` declares one connection, whose component builds its
assets, jobs, schedules and resource (`core.runtime.component`). What spans the
connections is built here from all of them: the models, `all_sources_sync`, the
erasure job, the failure alert, and the shared resources.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from types import ModuleType

from dagster import BetaWarning, ComponentTree, Definitions, PreviewWarning, definitions

import crm_assets
import crm_assets.defs as connection_folders
from crm_assets.alerts import ALERTS_KEY, AlertWebhook, failure_alert_sensor
from crm_assets.automation import (
    all_sources_job,
    all_sources_launcher,
    models_automation_sensor,
    models_job,
)
from crm_assets.core.runtime.assets import WAREHOUSE_KEY
from crm_assets.core.runtime.component import ConnectionComponent, refuse_clashes
from crm_assets.core.runtime.connection import Connection
from crm_assets.core.runtime.executor import executor_from_env
from crm_assets.core.warehouse import Warehouse
from crm_assets.erasure import PII_KEY, PiiKey, erasure_job
from crm_assets.models import GROUP as MODELS_GROUP
from crm_assets.models import build_models
from crm_assets.models.build import catalog
from crm_assets.models.settings import SETTINGS_KEY, ModelSettings
from crm_assets.sources.kommo.streams import SOURCE as KOMMO
from crm_assets.sources.nectarcrm.streams import SOURCE as NECTARCRM
from crm_assets.sources.odoo.streams import SOURCE as ODOO
from crm_assets.sources.pipedrive.streams import SOURCE as PIPEDRIVE

# The sources this code location has connection types for.
SOURCES = [NECTARCRM, PIPEDRIVE, KOMMO, ODOO]


def component_tree(defs_module: ModuleType = connection_folders) -> ComponentTree:
    """The connections declared under `defs_module`, one folder each."""
    depth = len(defs_module.__name__.split("."))
    root = Path(defs_module.__file__ or "").resolve().parents[depth]
    return ComponentTree.from_module(defs_module, project_root=root)


def load_connections(tree: ComponentTree | None = None) -> list[Connection]:
    """Every connection of `tree` (default: this code location's), refusing two that
    would share a name or a table."""
    components = (tree or component_tree()).get_all_components(of_type=ConnectionComponent)
    refuse_clashes(components)
    return [component.connection() for component in components]


@definitions
def defs() -> Definitions:
    return build_definitions()


# `crm_assets.defs` names the definitions, which Dagster looks up in the package; the
# import of the subpackage above bound the same name to the subpackage.
crm_assets.defs = defs  # type: ignore[attr-defined]


def build_definitions(defs_module: ModuleType = connection_folders) -> Definitions:
    """The code location of the connections declared under `defs_module`."""
    tree = component_tree(defs_module)
    connections = load_connections(tree)
    with warnings.catch_warnings():
        # Dagster's component loader uses its own beta and preview classes.
        warnings.simplefilter("ignore", BetaWarning)
        warnings.simplefilter("ignore", PreviewWarning)
        own = tree.build_defs()
    sync_jobs = [
        job for job in own.jobs or () if job.name in {c.sync_job_name for c in connections}
    ]
    launcher = all_sources_job(connections)
    tables = catalog((c.name, c.source, c.table_prefix) for c in connections)
    raw_keys = [key for assets in own.assets or () for key in assets.keys]
    return Definitions.merge(
        own,
        Definitions(
            assets=build_models(raw_keys, tables=tables),
            jobs=[
                launcher,
                models_job(MODELS_GROUP),
                erasure_job([(c.source, c.table_prefix) for c in connections]),
            ],
            sensors=[
                all_sources_launcher(launcher, sync_jobs),
                failure_alert_sensor(v for c in connections for v in c.secret_variables),
                models_automation_sensor(MODELS_GROUP),
            ],
            resources={
                ALERTS_KEY: AlertWebhook.from_env(),
                WAREHOUSE_KEY: Warehouse.from_env(),
                PII_KEY: PiiKey.from_env(),
                SETTINGS_KEY: ModelSettings.from_env(),
            },
            executor=executor_from_env(),
        ),
    )
