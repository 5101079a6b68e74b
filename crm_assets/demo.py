"""`python -m crm_assets.demo`: run every connection's sync job on the built-in demo data.

Each connection's job materializes today's partition from its emulator into the
warehouse (SQLite at data/warehouse.db unless CRM_WAREHOUSE_URL says otherwise):
incremental streams read the records updated today, full-table streams read
everything. Then every table is printed with its live rows and the rows marked
`_deleted` (the source no longer has them; rows are never removed). Runs are
recorded in the instance at DAGSTER_HOME, else the project's .dagster/, where
`dagster dev` started from the project root finds them afterwards.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    os.environ["CRM_ASSETS_DEMO"] = "1"
    os.chdir(ROOT)
    from dagster import DagsterInstance, Failure

    from crm_assets.core.warehouse import Warehouse, warehouse_url
    from crm_assets.definitions import build_definitions, load_connections

    warehouse = Warehouse.from_env()
    # The runs' own setup check, once and before any run: a URL that cannot work or a
    # database that does not answer is one sentence here, not four failed runs.
    try:
        warehouse.setup_for_execution(None)
    except Failure as exc:
        print(exc.description, file=sys.stderr)
        return 2
    shown = warehouse_url(warehouse.resolved_url()).render_as_string(hide_password=True)
    defs = build_definitions()
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    instance = DagsterInstance.from_config(os.environ.get("DAGSTER_HOME") or str(ROOT))
    # Each run's progress and failures, not Dagster's step-by-step DEBUG events.
    quiet = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
    for connection in load_connections():
        job = defs.resolve_job_def(connection.sync_job_name)
        print(f"Running {job.name} for partition {today} on demo data ...", flush=True)
        result = job.execute_in_process(
            partition_key=today,
            instance=instance,
            raise_on_error=False,
            run_config=quiet,
        )
        if not result.success:
            print(f"{job.name} failed; see the log above.", file=sys.stderr)
            return 1

    # Models read every connection's tables, so they are built once the syncs are done.
    models = defs.resolve_job_def("models_refresh")
    print(f"Running {models.name} (models and their checks) ...", flush=True)
    if not models.execute_in_process(
        instance=instance, raise_on_error=False, run_config=quiet
    ).success:
        print(f"{models.name} failed; see the log above.", file=sys.stderr)
        return 1

    from crm_assets.models import MODELS
    from crm_assets.models.build import STAGING_SUFFIX

    # Raw tables carry `_deleted`; the models, printed after them, are built from live rows.
    print(f"\nWarehouse {shown}:")
    print(f"  {'table':<48} {'live rows':>10} {'deleted':>8}")
    modeled = {m.name for m in MODELS} | {m.name + STAGING_SUFFIX for m in MODELS}
    for table in sorted(set(warehouse.table_names()) - modeled):
        live = warehouse.row_count(table)
        deleted = warehouse.row_count(table, include_deleted=True) - live
        print(f"  {table:<48} {live:>10} {deleted:>8}")
    _print_models(warehouse)
    return 0


def _print_models(warehouse) -> None:
    from crm_assets.models import MODELS, build

    for model in MODELS:
        metadata = build.describe(model, warehouse)
        print(f"\n{model.name}: {metadata['dagster/row_count']} rows, the first of them:")
        print(metadata["preview"].value)


if __name__ == "__main__":
    sys.exit(main())
