"""The code location: every source's assets, jobs and schedules, and the warehouse.

Adding a source is one line in SOURCES and one in `resources`.
"""

from __future__ import annotations

from dagster import Definitions

from crm_assets.automation import (
    models_automation_sensor,
    models_job,
    source_job,
    source_schedules,
)
from crm_assets.core.assets import WAREHOUSE_KEY, build_source_assets
from crm_assets.core.warehouse import Warehouse
from crm_assets.models import GROUP as MODELS_GROUP
from crm_assets.models import build_models
from crm_assets.sources.nectarcrm.resource import NectarCrmResource
from crm_assets.sources.nectarcrm.streams import SOURCE as NECTARCRM
from crm_assets.sources.pipedrive.resource import PipedriveResource
from crm_assets.sources.pipedrive.streams import SOURCE as PIPEDRIVE

SOURCES = [NECTARCRM, PIPEDRIVE]


def build_definitions() -> Definitions:
    jobs = {source.name: source_job(source) for source in SOURCES}
    raw = [build_source_assets(source) for source in SOURCES]
    models, checks = build_models(key for assets in raw for key in assets.keys)
    return Definitions(
        assets=raw + models,
        asset_checks=checks,
        jobs=[*jobs.values(), models_job(MODELS_GROUP)],
        schedules=[s for source in SOURCES for s in source_schedules(source, jobs[source.name])],
        sensors=[models_automation_sensor(MODELS_GROUP)],
        resources={
            WAREHOUSE_KEY: Warehouse.from_env(),
            NECTARCRM.resource_key: NectarCrmResource.from_env(),
            PIPEDRIVE.resource_key: PipedriveResource.from_env(),
        },
    )


defs = build_definitions()
