"""`crm_pipeline_stage_funnel`: every CRM connection's deals by pipeline, currency and
stage."""

from __future__ import annotations

from crm_assets.core.schema import INTEGER, NUMBER, TEXT
from crm_assets.models.spec import Check, Column, Model, Part
from crm_assets.models.templates import UNKNOWN_STAGE

NAME = "crm_pipeline_stage_funnel"

COLUMNS = (
    Column("source", TEXT, "The CRM the row comes from: nectarcrm, pipedrive or kommo."),
    Column(
        "connection",
        TEXT,
        "The connection (one account of the CRM) the row comes from, named as the code "
        "location names it: `pipedrive`, or `pipedrive_latam` for a second account. Ids "
        "are the account's own, so two connections' pipeline and stage ids never mix.",
    ),
    Column("pipeline_id", INTEGER, "The pipeline's id in its connection's CRM account."),
    Column("pipeline_name", TEXT, "The pipeline's name; empty for a pipeline not synced."),
    Column(
        "currency",
        TEXT,
        "The currency of every money figure in the row: each pipeline's funnel is told "
        "once per currency its deals are in, and no figure adds two currencies.",
    ),
    Column(
        "stage_order",
        INTEGER,
        "The stage's place in its pipeline, 1 for the first (by position, then id); empty "
        "for the stage-unknown row.",
    ),
    Column(
        "stage_id",
        INTEGER,
        "The stage's id in its connection's CRM account; empty for the stage-unknown row.",
    ),
    Column(
        "stage_name",
        TEXT,
        f"The stage's name, or `{UNKNOWN_STAGE}` for the deals that cannot be placed in a "
        "stage of the pipeline (a stage not synced, deleted at the source, or not defined).",
    ),
    Column("stage_position", INTEGER, "The stage's position as its CRM numbers it."),
    Column("open_deals", INTEGER, "Open deals now in the stage."),
    Column("open_value", NUMBER, "Total value of the open deals in the stage."),
    Column("won_deals", INTEGER, "Deals won from this stage."),
    Column("won_value", NUMBER, "Total value of the deals won from this stage."),
    Column("lost_deals", INTEGER, "Deals lost (NectarCRM: or discarded) from this stage."),
    Column("lost_value", NUMBER, "Total value of the deals lost from this stage."),
    Column(
        "reached_deals",
        INTEGER,
        "Deals that reached the stage or a later one: the furthest stage each deal is "
        "known to have been in, from its stage history where it has one, otherwise the "
        "stage it is in or was closed from. Empty for the stage-unknown row.",
    ),
    Column(
        "reached_from_history",
        INTEGER,
        "How many of reached_deals have recorded stage changes (Pipedrive's deal flow, "
        "Kommo's status events); the rest are placed by their current or closing stage "
        "alone, so they may have skipped stages before it.",
    ),
    Column(
        "conversion_from_previous",
        NUMBER,
        "reached_deals over the previous stage's reached_deals; empty for a pipeline's first "
        "stage, after a stage no deal reached, and for the stage-unknown row.",
    ),
    Column(
        "avg_days_in_stage",
        NUMBER,
        "Average days deals stayed in the stage before moving on, over the stays measured; "
        "empty without stage history.",
    ),
    Column(
        "stays_measured",
        INTEGER,
        "How many stays in the stage (a deal entering and leaving it) avg_days_in_stage averages.",
    ),
    Column("snapshot_date", TEXT, "UTC date (YYYY-MM-DD) the row was built."),
)

PARTS = (
    Part(
        "nectarcrm",
        {
            "pipelines": ("id", "nome", "tipo", "_deleted"),
            "pipelines__etapas": ("_parent_id", "id", "nome", "sequencia", "_deleted"),
            "opportunities": ("id", "funil_venda_id", "etapa", "status", "valorTotal", "_deleted"),
        },
        optional_columns={"pipelines": ("ativo",)},
    ),
    Part(
        "pipedrive",
        {
            "pipelines": ("id", "name", "is_deleted", "_deleted"),
            "stages": ("id", "name", "order_nr", "pipeline_id", "is_deleted", "_deleted"),
            "deals": (
                "id", "pipeline_id", "stage_id", "status", "value", "currency", "add_time",
                "is_deleted", "_deleted",
            ),
        },
        history={
            "deals_flow": (
                "deal_id", "id", "timestamp", "field_key", "old_value", "new_value", "_deleted",
            )
        },
        optional_columns={"deals": ("is_archived",)},
    ),
    Part(
        "kommo",
        {
            "pipelines": ("id", "name", "_deleted"),
            "pipelines__statuses": ("_parent_id", "id", "name", "sort", "_deleted"),
            "leads": ("id", "pipeline_id", "status_id", "price", "created_at", "_deleted"),
        },
        history={
            "events": (
                "id", "type", "entity_id", "created_at", "pipeline_before_id",
                "status_before_id", "pipeline_after_id", "status_after_id", "_deleted",
            )
        },
        optional={"account": ("currency", "_deleted")},
        optional_columns={"pipelines": ("is_archive",)},
    ),
)  # fmt: skip

FUNNEL = Model(
    name=NAME,
    description=(
        "The sales funnel of every CRM connection (each account of NectarCRM, Pipedrive "
        "or Kommo the code location syncs): one row per connection, pipeline, currency "
        "and stage, with open deals and their value, won and lost counts and values, deals that "
        "reached the stage (and how many of them from stage history), conversion from the "
        "previous stage, and average days in the stage where stage history exists "
        "(Pipedrive's deal flow, Kommo's lead status events). Won and lost (Kommo's "
        "statuses 142 and 143, NectarCRM's statuses 2, 3 and 4) are outcomes, not stages. "
        f"Deals that cannot be placed in a stage are counted in a `{UNKNOWN_STAGE}` row "
        "of their pipeline, so a connection's open, won and lost deals add up to its live "
        "deals. Deleted deals are left out, and so is what the CRMs hide from their "
        "users (Pipedrive's archived deals, Kommo's archived pipelines, NectarCRM's "
        "inactive pipelines) unless the models' `include_archived` setting is on. Each "
        "money figure is in the row's currency: Pipedrive's deal currency, Kommo's "
        "account currency, and for NectarCRM, whose API states none, the models' "
        "currency setting for the connection (BRL unless set). A connection whose raw "
        "tables are not in the warehouse contributes no rows."
    ),
    columns=COLUMNS,
    parts=PARTS,
    checks=(
        Check(
            "deals_match_raw",
            "Per connection, pipeline and currency, open, won and lost deals and their "
            "values equal the live deals counted straight from the connection's raw deals "
            "table.",
            "check_funnel_deals_match_raw.sql",
        ),
        Check(
            "every_deal_placed",
            "Every counted deal is placed in a stage; the deals in stage-unknown rows are "
            "named here (a warning: they are counted, but someone should look).",
            "check_funnel_every_deal_placed.sql",
            blocking=False,
        ),
        Check(
            "funnel_never_widens",
            "No stage is reached by more deals than the stage before it (a warning that "
            "guards the funnel's SQL, which counts each deal up to its furthest stage).",
            "check_funnel_never_widens.sql",
            blocking=False,
        ),
    ),
    order_by=("source", "connection", "pipeline_id", "currency", "stage_order"),
)
