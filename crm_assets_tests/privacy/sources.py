"""Every source's emulator, served behind a recorder, ready to sync: for privacy tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from dagster import DagsterInstance

from crm_assets.erasure import PiiKey, erasure_job
from crm_assets.sources.kommo.emulator import KommoEmulator
from crm_assets.sources.kommo.streams import SOURCE as KOMMO
from crm_assets.sources.nectarcrm.emulator import NectarCrmEmulator
from crm_assets.sources.nectarcrm.streams import SOURCE as NECTARCRM
from crm_assets.sources.odoo.emulator import OdooEmulator
from crm_assets.sources.odoo.streams import odoo_source
from crm_assets.sources.pipedrive.emulator import PipedriveEmulator
from crm_assets.sources.pipedrive.streams import SOURCE as PIPEDRIVE
from crm_assets_tests.harness import Harness, harness
from crm_assets_tests.privacy.helpers import Recorder
from crm_assets_tests.sources.kommo import conftest as kommo
from crm_assets_tests.sources.nectarcrm import conftest as nectarcrm
from crm_assets_tests.sources.odoo import conftest as odoo
from crm_assets_tests.sources.pipedrive import conftest as pipedrive

PII_KEY = "pii-test-key-7c41d9e0b2a8f365"
FULL = {"crm/full_sync": "true"}


@dataclass(frozen=True)
class Source:
    name: str
    spec: Any
    emulator: Callable[..., Any]
    settings: Callable[[str], dict]
    overrides: dict

    @contextmanager
    def running(self, **emulator_args: Any) -> Iterator[Harness]:
        """The source synced from its emulator, which records every body it serves."""
        recorder = Recorder(self.emulator(**emulator_args))
        with harness(self.spec, recorder, nectarcrm.ANCHOR, self.settings) as running:
            yield running

    def run(self, running: Harness, warehouse, **overrides: Any):
        return running.run(warehouse, tags=FULL, pii_key=PII_KEY, **{**self.overrides, **overrides})


def _nectarcrm(sizes=None, **args):
    sizes = {**{k: 12 for k in nectarcrm.SMALL}, **(sizes or {})}
    return NectarCrmEmulator(token=nectarcrm.TOKEN, anchor=nectarcrm.ANCHOR, sizes=sizes, **args)


def _pipedrive(**args):
    sizes = {k: 15 for k in pipedrive.SMALL}
    return PipedriveEmulator(token=pipedrive.TOKEN, anchor=pipedrive.ANCHOR, sizes=sizes, **args)


def _kommo(**args):
    sizes = {k: 15 for k in kommo.SMALL}
    return KommoEmulator(token=kommo.TOKEN, anchor=kommo.ANCHOR, sizes=sizes, days=20,
                         per_second=kommo.UNLIMITED, **args)  # fmt: skip


def _odoo(**args):
    return OdooEmulator(token=odoo.TOKEN, anchor=odoo.ANCHOR, **{"sizes": odoo.SMALL, **args})


SOURCES = {
    "nectarcrm": Source("nectarcrm", NECTARCRM, _nectarcrm, nectarcrm.settings, {}),
    "pipedrive": Source("pipedrive", PIPEDRIVE, _pipedrive, pipedrive.settings, {}),
    "kommo": Source(
        "kommo", KOMMO, _kommo, kommo.settings, {"requests_per_second": kommo.UNLIMITED}
    ),  # fmt: skip
    # Partners are a model users add (ODOO_MODELS); the tests add it too.
    "odoo": Source("odoo", odoo_source(["res.partner"]), _odoo, odoo.settings, {}),
}


def run_erasure(warehouse: Any, instance: DagsterInstance, config: dict) -> tuple[Any, str]:
    """`erase_data_subject` over every source's tables: (its result, its log as text)."""
    job = erasure_job([(source.spec, f"{name}_") for name, source in SOURCES.items()])
    result = job.execute_in_process(
        run_config={"ops": {"erase_subject": {"config": config}}},
        resources={"warehouse": warehouse, "pii_key": PiiKey(key=PII_KEY)},
        instance=instance,
        raise_on_error=False,
    )
    return result, "\n".join(str(r) for r in instance.all_logs(result.run_id))
