"""`crm_pipeline_stage_funnel`: one row per source, pipeline and stage, for every CRM."""

from __future__ import annotations

from crm_assets.core.schema import INTEGER, NUMBER, TEXT
from crm_assets.models.spec import Check, Column, Model, Part

NAME = "crm_pipeline_stage_funnel"

COLUMNS = (
    Column("source", TEXT, "The CRM the row comes from: nectarcrm, pipedrive or kommo."),
    Column("pipeline_id", INTEGER, "The pipeline's id in its CRM."),
    Column("pipeline_name", TEXT, "The pipeline's name."),
    Column("stage_id", INTEGER, "The stage's id in its CRM."),
    Column("stage_name", TEXT, "The stage's name."),
    Column(
        "stage_position", INTEGER, "The stage's place in its pipeline; stages are ordered by it."
    ),
    Column("open_deals", INTEGER, "Open deals now in the stage."),
    Column("open_value", NUMBER, "Total value of the open deals in the stage (deal currency)."),
    Column(
        "reached_deals",
        INTEGER,
        "Deals known to have reached the stage or a later one: from stage history where "
        "the CRM has it, otherwise from the stage a deal is in or was closed from.",
    ),
    Column(
        "conversion_from_previous",
        NUMBER,
        "reached_deals over the previous stage's reached_deals; empty for a pipeline's first "
        "stage or after a stage no deal reached.",
    ),
    Column("won_deals", INTEGER, "Deals won from this stage."),
    Column("won_value", NUMBER, "Total value of the deals won from this stage."),
    Column("lost_deals", INTEGER, "Deals lost (NectarCRM: or discarded) from this stage."),
    Column("lost_value", NUMBER, "Total value of the deals lost from this stage."),
    Column(
        "avg_days_in_stage",
        NUMBER,
        "Average days deals stayed in the stage before moving on, from stage history; "
        "empty without history.",
    ),
    Column("reached_from", TEXT, "`history` or `position`: what reached_deals is built from."),
    Column("snapshot_date", TEXT, "UTC date (YYYY-MM-DD) the row was built."),
)

PARTS = (
    Part(
        "nectarcrm",
        {
            "nectarcrm_pipelines": ("id", "nome", "tipo", "_deleted"),
            "nectarcrm_pipelines__etapas": ("_parent_id", "id", "nome", "sequencia", "_deleted"),
            "nectarcrm_opportunities": (
                "id", "funil_venda_id", "etapa", "status", "valorTotal", "_deleted",
            ),
        },
    ),
    Part(
        "pipedrive",
        {
            "pipedrive_pipelines": ("id", "name", "is_deleted", "_deleted"),
            "pipedrive_stages": ("id", "name", "order_nr", "pipeline_id", "is_deleted", "_deleted"),
            "pipedrive_deals": (
                "id", "pipeline_id", "stage_id", "status", "value", "add_time", "is_deleted",
                "_deleted",
            ),
        },
        history={
            "pipedrive_deals_flow": (
                "deal_id", "id", "timestamp", "field_key", "old_value", "new_value", "_deleted",
            )
        },
    ),
    Part(
        "kommo",
        {
            "kommo_pipelines": ("id", "name", "_deleted"),
            "kommo_pipelines__statuses": ("_parent_id", "id", "name", "sort", "_deleted"),
            "kommo_leads": ("id", "pipeline_id", "status_id", "price", "created_at", "_deleted"),
        },
        history={
            "kommo_events": (
                "id", "type", "entity_id", "created_at", "pipeline_before_id",
                "status_before_id", "pipeline_after_id", "status_after_id", "_deleted",
            )
        },
    ),
)  # fmt: skip

FUNNEL = Model(
    name=NAME,
    description=(
        "The sales funnel of every CRM: one row per source, pipeline and stage, with open "
        "deals and their value, deals that reached the stage, conversion from the previous "
        "stage, won and lost counts and values, and average days in the stage where stage "
        "history exists (Pipedrive's deal flow, Kommo's lead status events). Won and lost "
        "(Kommo's statuses 142 and 143, NectarCRM's statuses 2, 3 and 4) are outcomes, not "
        "stages; deleted deals are left out. A CRM whose raw tables are not in the warehouse "
        "contributes no rows. Values are summed as stored, in each deal's own currency."
    ),
    columns=COLUMNS,
    parts=PARTS,
    reads=(
        ("nectarcrm", "pipelines"),
        ("nectarcrm", "opportunities"),
        ("pipedrive", "pipelines"),
        ("pipedrive", "stages"),
        ("pipedrive", "deals"),
        ("pipedrive", "deals_flow"),
        ("kommo", "pipelines"),
        ("kommo", "leads"),
        ("kommo", "events"),
    ),
    checks=(
        Check(
            "funnel_never_widens",
            "No stage is reached by more deals than the stage before it.",
            "check_funnel_never_widens.sql",
        ),
        Check(
            "open_deals_match_raw",
            "Open deals per pipeline equal the open deals in the raw tables.",
            "check_funnel_open_deals_match_raw.sql",
        ),
        Check(
            "conversion_between_0_and_1",
            "Every conversion rate lies between 0 and 1.",
            "check_rate_between_0_and_1.sql",
            {"table": NAME, "column": "conversion_from_previous"},
        ),
    ),
    order_by=("source", "pipeline_id", "stage_position", "stage_id"),
)
