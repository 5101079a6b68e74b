"""The code location: every source's assets, jobs, schedules and sensors, and the warehouse.

Adding a source is one line in SOURCES: its spec names its resource, which every
source builds the same way from the environment.
"""

from __future__ import annotations

from dagster import Definitions

from crm_assets.alerts import ALERTS_KEY, AlertWebhook, failure_alert_sensor
from crm_assets.automation import (
    all_sources_job,
    all_sources_launcher,
    full_sync_job,
    models_automation_sensor,
    models_job,
    source_job,
    source_schedules,
)
from crm_assets.core.runtime.assets import WAREHOUSE_KEY, build_source_assets
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

SOURCES = [NECTARCRM, PIPEDRIVE, KOMMO, ODOO]


def build_definitions() -> Definitions:
    jobs = {source.name: source_job(source) for source in SOURCES}
    launcher = all_sources_job(SOURCES)
    resources = {s.resource_key: s.resource.from_env(s.streams) for s in SOURCES}
    prefixes = [(s, resources[s.resource_key].table_prefix) for s in SOURCES]
    erasure = erasure_job(prefixes)
    tables = catalog((s.name, s, prefix) for s, prefix in prefixes)
    # CRM_PII_POLICY is every source's policy: each may meet the others' tables in it.
    raw = [
        build_source_assets(
            source,
            {t for name, own in tables.items() if name != source.name for t in own.tables.values()},
        )
        for source in SOURCES
    ]
    models = build_models((key for assets in raw for key in assets.keys), tables=tables)
    return Definitions(
        assets=raw + models,
        jobs=[
            *jobs.values(),
            *(full_sync_job(s) for s in SOURCES),
            launcher,
            models_job(MODELS_GROUP),
            erasure,
        ],
        schedules=[s for source in SOURCES for s in source_schedules(source, jobs[source.name])],
        sensors=[
            all_sources_launcher(launcher, list(jobs.values())),
            failure_alert_sensor(s.resource.SECRET_VARIABLE for s in SOURCES),
            models_automation_sensor(MODELS_GROUP),
        ],
        resources={
            ALERTS_KEY: AlertWebhook.from_env(),
            WAREHOUSE_KEY: Warehouse.from_env(),
            PII_KEY: PiiKey.from_env(),
            SETTINGS_KEY: ModelSettings.from_env(),
            **resources,
        },
        executor=executor_from_env(),
    )


defs = build_definitions()
