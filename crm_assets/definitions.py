"""The code location: every source's assets, jobs and schedules, and the warehouse.

Adding a source is one line in SOURCES and one in `resources`.
"""

from __future__ import annotations

from dagster import Definitions

from crm_assets.automation import source_job, source_schedules
from crm_assets.core.assets import WAREHOUSE_KEY, build_source_assets
from crm_assets.core.warehouse import Warehouse
from crm_assets.sources.kommo.resource import KommoResource
from crm_assets.sources.kommo.streams import SOURCE as KOMMO
from crm_assets.sources.nectarcrm.resource import NectarCrmResource
from crm_assets.sources.nectarcrm.streams import SOURCE as NECTARCRM
from crm_assets.sources.pipedrive.resource import PipedriveResource
from crm_assets.sources.pipedrive.streams import SOURCE as PIPEDRIVE

SOURCES = [NECTARCRM, PIPEDRIVE, KOMMO]


def build_definitions() -> Definitions:
    jobs = {source.name: source_job(source) for source in SOURCES}
    return Definitions(
        assets=[build_source_assets(source) for source in SOURCES],
        jobs=list(jobs.values()),
        schedules=[s for source in SOURCES for s in source_schedules(source, jobs[source.name])],
        resources={
            WAREHOUSE_KEY: Warehouse.from_env(),
            NECTARCRM.resource_key: NectarCrmResource.from_env(),
            PIPEDRIVE.resource_key: PipedriveResource.from_env(),
            KOMMO.resource_key: KommoResource.from_env(),
        },
    )


defs = build_definitions()
