"""Hand-built raw tables with known funnel and analysis answers.

Rows go through the project's own `Warehouse.writer`, so column types are those a
sync gives them. Each function writes one source's tables.
"""

from __future__ import annotations

from datetime import UTC, datetime

from crm_assets.core.warehouse import Warehouse
from crm_assets.definitions import SOURCES
from crm_assets.models import build
from crm_assets.models.settings import ModelSettings
from crm_assets.models.spec import Model

SNAPSHOT = "2026-03-01"
# The shipped connections: named after their source, under its default table prefix.
CATALOG = build.catalog((source.name, source, f"{source.name}_") for source in SOURCES)


def rebuild(
    model: Model, warehouse: Warehouse, tables: build.Catalog = CATALOG, **settings
) -> build.Build:
    """Build, check and publish `model` as the asset does, on the snapshot date."""
    return build.rebuild(
        model, warehouse, SNAPSHOT, tables=tables, settings=ModelSettings(**settings)
    )


def at(day: int, hour: int = 0, month: int = 1) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def write(warehouse: Warehouse, table: str, rows: list[dict], key=("id",)) -> None:
    with warehouse.writer(table, key) as writer:
        writer.write(rows)


def nectarcrm(warehouse: Warehouse, prefix: str = "nectarcrm_") -> None:
    write(
        warehouse,
        f"{prefix}pipelines",
        [
            {"id": 1, "nome": "Vendas", "ativo": True, "tipo": 0},
            # An inactive pipeline, which NectarCRM hides.
            {"id": 2, "nome": "Antigo", "ativo": False, "tipo": 0},
            # Qualification pipelines hold qualifications, not opportunities.
            {"id": 3, "nome": "Qualificação", "ativo": True, "tipo": 1},
        ],
    )
    write(
        warehouse,
        f"{prefix}pipelines__etapas",
        [
            {"_parent_id": 1, "id": 11, "nome": "A", "sequencia": 1},
            {"_parent_id": 1, "id": 12, "nome": "B", "sequencia": 2},
            {"_parent_id": 1, "id": 13, "nome": "C", "sequencia": 3},
            {"_parent_id": 2, "id": 21, "nome": "Velho", "sequencia": 1},
            {"_parent_id": 3, "id": 31, "nome": "Novo lead", "sequencia": 1},
        ],
        key=("_parent_id", "id"),
    )
    opportunity = {"funil_venda_id": 1, "pipeline": "Vendas"}
    write(
        warehouse,
        f"{prefix}opportunities",
        [
            {**opportunity, "id": 1, "etapa": 1, "status": 1, "valorTotal": 10.0},
            {**opportunity, "id": 2, "etapa": 2, "status": 1, "valorTotal": 20.0},
            {**opportunity, "id": 3, "etapa": 3, "status": 2, "valorTotal": 30.0},
            {**opportunity, "id": 4, "etapa": 2, "status": 3, "valorTotal": 40.0},
            {**opportunity, "id": 5, "etapa": 1, "status": 4, "valorTotal": 50.0},
            {**opportunity, "id": 6, "etapa": 3, "status": 1, "valorTotal": 60.0, "_deleted": True},
            {
                **opportunity,
                "id": 7,
                "funil_venda_id": 2,
                "etapa": 1,
                "status": 1,
                "valorTotal": 5.0,
            },
        ],
    )


def pipedrive(warehouse: Warehouse, *, history: bool) -> None:
    write(warehouse, "pipedrive_pipelines", [{"id": 1, "name": "Sales", "is_deleted": False}])
    write(
        warehouse,
        "pipedrive_stages",
        [
            {"id": 1, "name": "Lead", "order_nr": 1, "pipeline_id": 1, "is_deleted": False},
            {"id": 2, "name": "Demo", "order_nr": 2, "pipeline_id": 1, "is_deleted": False},
            {"id": 3, "name": "Proposal", "order_nr": 3, "pipeline_id": 1, "is_deleted": False},
            {"id": 9, "name": "Retired", "order_nr": 4, "pipeline_id": 1, "is_deleted": True},
        ],
    )
    deal = {
        "pipeline_id": 1,
        "add_time": at(1),
        "is_deleted": False,
        "is_archived": False,
        "currency": "USD",
    }
    write(
        warehouse,
        "pipedrive_deals",
        [
            {**deal, "id": 101, "stage_id": 1, "status": "open", "value": 100},
            {**deal, "id": 102, "stage_id": 2, "status": "open", "value": 200},
            {**deal, "id": 103, "stage_id": 3, "status": "won", "value": 300},
            {**deal, "id": 104, "stage_id": 2, "status": "lost", "value": 400},
            {**deal, "id": 105, "stage_id": 3, "status": "deleted", "value": 1000,
             "is_deleted": True, "_deleted": True},
            {**deal, "id": 106, "stage_id": 1, "status": "open", "value": 50, "_deleted": True},
            {**deal, "id": 107, "stage_id": 1, "status": "open", "value": 70, "currency": "EUR"},
            # Archived: Pipedrive's deal lists hide it.
            {**deal, "id": 108, "stage_id": 2, "status": "open", "value": 500,
             "is_archived": True},
        ],
    )  # fmt: skip
    if not history:
        return

    def change(deal_id: int, n: int, when: datetime, key: str, old: str, new: str) -> dict:
        return {"deal_id": deal_id, "object": "dealChange", "id": deal_id * 100 + n,
                "timestamp": when, "field_key": key, "old_value": old, "new_value": new,
                "data": {"field_key": key}}  # fmt: skip

    write(
        warehouse,
        "pipedrive_deals_flow",
        [
            change(101, 1, at(2), "title", "a", "b"),
            change(102, 1, at(3), "stage_id", "1", "2"),
            change(103, 1, at(2), "stage_id", "1", "2"),
            change(103, 2, at(6), "stage_id", "2", "3"),
            change(104, 1, at(2, 12), "stage_id", "1", "3"),
            change(104, 2, at(4, 12), "stage_id", "3", "2"),
            change(105, 1, at(2), "stage_id", "1", "2"),
        ],
        key=("deal_id", "object", "id"),
    )


def kommo(warehouse: Warehouse, *, history: bool, account: bool = True) -> None:
    write(
        warehouse,
        "kommo_pipelines",
        [
            {"id": 7, "name": "Main", "is_archive": False},
            {"id": 8, "name": "Old", "is_archive": True},
        ],
    )
    if account:
        write(warehouse, "kommo_account", [{"id": 1, "name": "Demo", "currency": "BRL"}])
    write(
        warehouse,
        "kommo_pipelines__statuses",
        [
            {"_parent_id": 7, "id": 70, "name": "Incoming", "sort": 10},
            {"_parent_id": 7, "id": 71, "name": "Contacted", "sort": 20},
            {"_parent_id": 7, "id": 72, "name": "Offer", "sort": 30},
            {"_parent_id": 7, "id": 142, "name": "Won", "sort": 10000},
            {"_parent_id": 7, "id": 143, "name": "Lost", "sort": 11000},
            {"_parent_id": 8, "id": 80, "name": "Incoming", "sort": 10},
        ],
        key=("_parent_id", "id"),
    )
    lead = {"pipeline_id": 7, "created_at": at(1), "updated_at": at(6), "closed_at": None}
    write(
        warehouse,
        "kommo_leads",
        [
            {**lead, "id": 201, "status_id": 70, "price": 5},
            {**lead, "id": 202, "status_id": 72, "price": 7},
            {**lead, "id": 203, "status_id": 142, "price": 11},
            {**lead, "id": 204, "status_id": 143, "price": 13},
            {**lead, "id": 205, "status_id": 71, "price": 17, "_deleted": True},
            # In an archived pipeline, which Kommo hides.
            {**lead, "id": 206, "pipeline_id": 8, "status_id": 80, "price": 19},
        ],
    )
    if not history:
        return

    def moved(n: int, lead_id: int, day: int, before: int, after: int) -> dict:
        return {"id": f"e{n}", "type": "lead_status_changed", "entity_id": lead_id,
                "created_at": at(day), "pipeline_before_id": 7, "status_before_id": before,
                "pipeline_after_id": 7, "status_after_id": after}  # fmt: skip

    write(
        warehouse,
        "kommo_events",
        [
            moved(1, 202, 2, 70, 71),
            moved(2, 202, 5, 71, 72),
            moved(3, 203, 3, 70, 71),
            moved(4, 203, 4, 71, 142),
            moved(5, 204, 2, 70, 72),
            moved(6, 204, 3, 72, 143),
            {"id": "e7", "type": "lead_added", "entity_id": 201, "created_at": at(1)},
            moved(8, 205, 2, 70, 71),
        ],
    )


def odoo(warehouse: Warehouse) -> None:
    payment = {
        "journal_id": 1, "journal_name": "Bank", "payment_method_line_id": 1,
        "payment_method_line_name": "Manual", "payment_method_id": 1,
        "payment_method_name": "Manual", "currency_id": 1, "currency_name": "USD",
        "company_currency_id": 1, "company_currency_name": "USD", "partner_type": "customer", "payment_type": "inbound", "state": "posted",
        "is_matched": False, "create_date": at(5), "write_date": at(6),
    }  # fmt: skip

    def paid(i: int, date: str, amount: float, reconciled: bool, **extra) -> dict:
        signed = -amount if extra.get("payment_type") == "outbound" else amount
        return {**payment, "id": i, "name": f"PAY/{i}", "date": date, "amount": amount,
                "amount_signed": signed, "amount_company_currency_signed": signed,
                "is_reconciled": reconciled, **extra}  # fmt: skip

    write(
        warehouse,
        "odoo_payment",
        [
            paid(1, "2026-01-05", 100.0, True),
            paid(2, "2026-01-20", 50.0, False),
            paid(3, "2026-01-21", 30.0, False, state="draft"),
            paid(4, "2026-02-02", 80.0, False, payment_type="outbound", partner_type="supplier",
                 payment_method_line_id=2, payment_method_line_name="Check", state="in_process"),
            paid(6, "2026-01-22", 10.0, False, state="cancel"),
            paid(5, "2026-01-07", 999.0, False, _deleted=True),
            # Paid in euros; the company keeps its books in dollars.
            paid(7, "2026-01-09", 40.0, True, currency_id=2, currency_name="EUR",
                 amount_company_currency_signed=44.0),
        ],
    )  # fmt: skip

    def quoted(i: int, created: datetime, valid: str, product: int, premium: float, **extra):
        return {"id": i, "name": f"Q{i}", "status": "sent", "create_date": created,
                "validity_date": valid, "product_id": product,
                "product_name": {1: "Auto", 2: "Home"}[product], "is_renewal": False,
                "total_premium_amount": premium, "currency_id": 1, "currency_name": "BRL",
                "active": True, **extra}  # fmt: skip

    write(
        warehouse,
        "odoo_insurance_quotation",
        [
            quoted(1, at(2, 10), "2026-01-31", 1, 1000.0),
            quoted(2, at(10), "2026-02-10", 1, 2000.0),
            quoted(3, at(15), "2026-12-31", 1, 500.0),
            quoted(4, at(1, month=2), "2026-02-15", 2, 700.0, status="approved", is_renewal=True),
            quoted(5, at(3), "2026-01-04", 1, 300.0, _deleted=True),
            quoted(6, at(5), "2026-01-20", 1, 400.0, status="expired"),
            quoted(7, at(20), "2026-02-01", 1, 100.0, currency_id=2, currency_name="USD"),
            quoted(8, at(6), "2026-01-15", 1, 250.0, status="refused"),
            quoted(9, at(7), "2026-01-30", 1, 600.0, status="accepted"),
            # Archived: Odoo hides it.
            quoted(10, at(8), "2026-01-10", 1, 900.0, active=False),
        ],
    )

    def policy(i: int, quotation: int, created: datetime, premium: float, **extra) -> dict:
        return {"id": i, "equotation_id": quotation, "create_date": created,
                "issue_date": created, "total_premium_amount": premium, "state": "active",
                "currency_id": 1, **extra}  # fmt: skip

    write(
        warehouse,
        "odoo_policy",
        [
            policy(10, 1, at(12, 10), 950.0),
            policy(11, 4, at(3, month=2), 700.0),
            policy(12, 4, at(5, month=2), 100.0),
            policy(13, 2, at(12), 2000.0, _deleted=True),
            # Issued, then cancelled: not a conversion.
            policy(14, 9, at(9), 600.0, state="cancelled"),
        ],
    )
