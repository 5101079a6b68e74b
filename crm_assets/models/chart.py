"""The funnel as a person reads it at a glance: a Markdown bar chart per pipeline.

Dagster's UI renders Markdown metadata, so each funnel (a connection's pipeline in
one currency) becomes a small table whose last column is a bar as long as the stage's
reached deals, beside the counts it is drawn from.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

import sqlalchemy as sa

from crm_assets.core.warehouse import Warehouse
from crm_assets.models import build
from crm_assets.models.spec import Model

BAR_WIDTH = 24
MOST_FUNNELS = 24
FUNNEL_KEY = ("connection", "pipeline_id", "pipeline_name", "currency")


def funnel_chart(model: Model, warehouse: Warehouse) -> str:
    """The published funnel drawn pipeline by pipeline, largest pipelines first."""
    table = sa.Table(model.name, sa.MetaData(), autoload_with=warehouse.engine)
    query = sa.select(table).order_by(*build.ordering(table, model.order_by))
    with warehouse.engine.connect() as connection:
        rows = [dict(r._mapping) for r in connection.execute(query)]
    funnels = [list(g) for _, g in groupby(rows, key=lambda r: tuple(r[k] for k in FUNNEL_KEY))]
    if not funnels:
        return "(no deals yet)"
    funnels.sort(key=lambda f: -sum(_deals(r) for r in f))
    parts = [_draw(f) for f in funnels[:MOST_FUNNELS]]
    if len(funnels) > MOST_FUNNELS:
        parts.append(f"… and {len(funnels) - MOST_FUNNELS} smaller funnels in the table.")
    return "\n\n".join(parts)


def _draw(rows: list[dict[str, Any]]) -> str:
    first = rows[0]
    name = first["pipeline_name"] or f"pipeline {first['pipeline_id']}"
    currency = first["currency"] or "no currency"
    widest = max((r["reached_deals"] or 0 for r in rows), default=0) or 1
    lines = [
        f"**{first['connection']} · {name} · {currency}**",
        "",
        "| stage | reached | open | won | lost | open value | |",
        "|---|--:|--:|--:|--:|--:|---|",
    ]
    for row in rows:
        reached = row["reached_deals"]
        bar = "█" * round(BAR_WIDTH * reached / widest) if reached else ""
        stage = str(row["stage_name"]).replace("|", "/")  # a bar would end the cell
        lines.append(
            f"| {stage} | {'' if reached is None else reached} | "
            f"{row['open_deals']} | {row['won_deals']} | {row['lost_deals']} | "
            f"{row['open_value'] or 0:,.2f} | {bar} |"
        )
    return "\n".join(lines)


def _deals(row: dict[str, Any]) -> int:
    return row["open_deals"] + row["won_deals"] + row["lost_deals"]
