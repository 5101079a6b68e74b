"""Demo mode: the Odoo job writes all five tables from the in-process emulator."""

from __future__ import annotations

from datetime import UTC, datetime

from dagster import DagsterInstance

from crm_assets.core.warehouse import Warehouse
from crm_assets.sources.odoo.streams import BUILT_IN


def test_the_demo_job_writes_every_odoo_table_with_its_documented_columns(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_ASSETS_DEMO", "1")
    monkeypatch.setenv("CRM_WAREHOUSE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    from crm_assets.definitions import build_definitions

    job = build_definitions().resolve_job_def("odoo_sync")
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    with DagsterInstance.ephemeral() as instance:
        assert job.execute_in_process(partition_key=today, instance=instance).success
    warehouse = Warehouse(url=f"sqlite:///{tmp_path / 'demo.db'}")
    documented = {"payment": {"amount", "state", "payment_type", "journal_name", "is_reconciled"},
                  "insurance_quotation": {"status", "validity_date", "product_name", "active"},
                  "policy": {"equotation_id", "equotation_name", "issue_date", "expiry_date"},
                  "policy_certificate": {"policy_id", "vehicle_plate", "vehicle_cc"},
                  "certificate_coverage": {"certificate_id", "coverage_id", "sum_insured"}}  # fmt: skip
    assert set(documented) == {name for name, _, _, _ in BUILT_IN}
    for stream, columns in documented.items():
        table = f"odoo_{stream}"
        assert warehouse.row_count(table) > 0, table
        assert columns <= {c for c, _ in warehouse.columns(table)}, table
