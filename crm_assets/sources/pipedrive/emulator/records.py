"""v2 records of the big entities, rebuilt from their id on every request.

Shapes follow the vendor SDK's v2 models (pipedrive/client-php `docs/versions/v2/Model`:
`DealItem`, `PersonItem`, `OrganizationItem`, `ActivityItem`, `BaseProduct` with
`prices[]` as `ArrayPricesPrices`). Only creation/update times and state bits come
from the dataset's arrays; everything else is drawn from `Rand(entity, id)`, so a
record is identical on every request and costs microseconds to build.
"""

from __future__ import annotations

from typing import Any

from crm_assets.sources.pipedrive.emulator.catalog import FIRST_NAMES, LAST_NAMES, Catalog
from crm_assets.sources.pipedrive.emulator.data import (
    ARCHIVED,
    DAY,
    DELETED,
    DONE,
    FRESH,
    STATUS_MASK,
    STATUSES,
    Dataset,
)
from crm_assets.sources.pipedrive.emulator.field_specs import LABELS
from crm_assets.sources.pipedrive.emulator.fields import CURRENCIES, FieldSet
from crm_assets.sources.pipedrive.emulator.http import day, rfc3339

ORG_WORDS = (
    "Northwind", "Blue Harbor", "Granite", "Lumen", "Redwood", "Silverline", "Orbit",
    "Cobalt", "Maple", "Summit", "Atlas", "Brightway", "Crescent", "Evergreen", "Falcon",
)  # fmt: skip
ORG_KINDS = ("Analytics", "Logistics", "Foods", "Health", "Systems", "Energy", "Media", "Labs")
ORG_SUFFIXES = ("Ltd", "GmbH", "Inc", "S.A.", "BV")
PRODUCTS = ("Analytics", "CRM Seats", "Support Plan", "Onboarding", "Data Connector", "Gateway")
TIERS = ("Starter", "Growth", "Pro", "Enterprise")
RATES = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79, "BRL": 5.0}
LOST_REASONS = ("Price", "Chose a competitor", "No budget", "No response", "Timing")
ORIGINS = ("ManuallyCreated", "API", "Import", "WebForms")
CITIES = (
    ("Berlin", "Germany"),
    ("Lisbon", "Portugal"),
    ("Austin", "United States"),
    ("Sao Paulo", "Brazil"),
)


def _id_in(r: int, count: int) -> int | None:
    return 1 + r % count if count else None


def _between(start: int, end: int, r: int) -> int:
    return start + r % (end - start + 1)


class Records:
    """Builds the v2 shape of any big-entity record from its index (id - 1)."""

    def __init__(self, data: Dataset, fields: FieldSet, catalog: Catalog):
        self.data, self.fields, self.catalog = data, fields, catalog
        self.sizes = data.sizes

    # -- references shared by records that point at each other ---------------------------

    def owner(self, entity: str, item_id: int) -> int:
        return self.data.rand(entity, item_id).pick(1, self.catalog.active_user_ids)

    def person_org(self, person_id: int) -> int | None:
        r = self.data.rand("persons", person_id)
        return _id_in(r(2), self.sizes["organizations"]) if r.chance(3, 80) else None

    def deal_refs(self, deal_id: int) -> tuple[int, int | None, int | None, int, int]:
        """(owner, person, org, pipeline, stage) of a deal."""
        r = self.data.rand("deals", deal_id)
        person = _id_in(r(2), self.sizes["persons"]) if r.chance(3, 90) else None
        org = self.person_org(person) if person else None
        if org is None and r.chance(4, 50):
            org = _id_in(r(5), self.sizes["organizations"])
        pipeline = 1 + r(6) % len(self.catalog.pipelines)
        stages = self.catalog.stages_of(pipeline)
        fresh = self.data.table("deals").state[deal_id - 1] & FRESH
        stage = stages[0]["id"] if fresh else r.pick(7, stages)["id"]
        return self.owner("deals", deal_id), person, org, pipeline, stage

    def closed_at(self, deal_id: int) -> int | None:
        """When a won or lost deal closed: in the later three quarters of its life, so
        its stage moves fit before it; None while the deal is open."""
        table = self.data.table("deals")
        i = deal_id - 1
        if not table.state[i] & STATUS_MASK:
            return None
        add, upd = table.add[i], table.upd[i]
        return _between(add + (upd - add) // 4, upd, self.data.rand("deals", deal_id)(20))

    def stage_moves(self, deal_id: int) -> list[tuple[int, int, int]]:
        """The deal's `stage_id` changes as (time, old stage, new stage), oldest first.

        A deal enters its pipeline's first stage and walks to its current stage, mostly
        forward (now and then skipping one), at most once stepping back; a won or lost
        deal ends in the stage it closed from. The moves fall after the deal's creation
        and no later than its close (open deals: its last update).
        """
        table = self.data.table("deals")
        i = deal_id - 1
        if table.state[i] & FRESH:
            return []
        r = self.data.rand("deals", deal_id)
        _, _, _, pipeline, stage = self.deal_refs(deal_id)
        stages = [s["id"] for s in self.catalog.stages_of(pipeline)]
        target = stages.index(stage)
        path = [0]
        if target == 0 and len(stages) > 1 and r.chance(60, 35):
            path += [1, 0]  # moved on too early and was brought back
        draw, stepped_back = 61, False
        while path[-1] != target:
            pos = path[-1]
            if pos > 0 and not stepped_back and r.chance(draw, 10):
                stepped_back = True
                path.append(pos - 1)
            elif pos + 2 <= target and r.chance(draw + 20, 15):
                path.append(pos + 2)
            else:
                path.append(pos + 1)
            draw += 1
        if len(path) == 1:
            return []
        start = table.add[i]
        end = self.closed_at(deal_id) or table.upd[i]
        # Moves split the deal's life by random weights; the last share is the stay
        # in the current stage (until its close or its last update).
        weights = [1 + r(100 + n) % 1000 for n in range(len(path))]
        total, moves, at, last = sum(weights), [], 0, start
        for n in range(1, len(path)):
            at += weights[n - 1]
            ts = max(start + 1 + (end - start - 1) * at // total, last + 1)
            moves.append((ts, stages[path[n - 1]], stages[path[n]]))
            last = ts
        return moves

    def org_name(self, org_id: int) -> str:
        r = self.data.rand("organizations", org_id)
        return f"{r.pick(10, ORG_WORDS)} {r.pick(11, ORG_KINDS)} {r.pick(12, ORG_SUFFIXES)}"

    def person_names(self, person_id: int) -> tuple[str, str]:
        r = self.data.rand("persons", person_id)
        return r.pick(10, FIRST_NAMES), r.pick(11, LAST_NAMES)

    def deal_title(self, deal_id: int) -> str:
        _, person, org, _, _ = self.deal_refs(deal_id)
        r = self.data.rand("deals", deal_id)
        who = (
            self.org_name(org) if org else " ".join(self.person_names(person)) if person else "New"
        )
        return f"{who} - {r.pick(10, PRODUCTS)}"

    def deal_currency(self, deal_id: int) -> str:
        r = self.data.rand("deals", deal_id)
        return "USD" if r.chance(11, 55) else r.pick(12, CURRENCIES)

    def _custom(self, entity: str, item_id: int, add: int, opts: dict[str, Any]):
        values = self.fields.values(entity, self.data.rand(entity, item_id), add)
        return self.fields.render_v2(entity, values, opts.get("labels", False), opts.get("keys"))

    # -- entities ----------------------------------------------------------------------------

    def deal(self, i: int, **opts: Any) -> dict[str, Any]:
        table = self.data.table("deals")
        deal_id, add, upd, state = i + 1, table.add[i], table.upd[i], table.state[i]
        r = self.data.rand("deals", deal_id)
        owner, person, org, pipeline, stage = self.deal_refs(deal_id)
        status = "deleted" if state & DELETED else STATUSES[state & STATUS_MASK]
        outcome = STATUSES[state & STATUS_MASK]
        closed = self.closed_at(deal_id)
        moves = self.stage_moves(deal_id)
        return {
            "id": deal_id, "title": self.deal_title(deal_id), "creator_user_id": owner,
            "owner_id": owner, "person_id": person, "org_id": org,
            "pipeline_id": pipeline, "stage_id": stage,
            "value": (r(13) % 400) * 250, "currency": self.deal_currency(deal_id),
            "add_time": rfc3339(add), "update_time": rfc3339(upd),
            "stage_change_time": rfc3339(moves[-1][0]) if moves else None,
            "is_deleted": bool(state & DELETED), "is_archived": bool(state & ARCHIVED),
            "status": status,
            "probability": r(14) % 101 if r.chance(15, 30) else None,
            "lost_reason": r.pick(16, LOST_REASONS) if outcome == "lost" else None,
            "visible_to": 3 if r.chance(17, 85) else 1,
            "close_time": rfc3339(closed),
            "won_time": rfc3339(closed) if outcome == "won" else None,
            "lost_time": rfc3339(closed) if outcome == "lost" else None,
            "expected_close_date": day(add + r(18) % (120 * DAY)) if r.chance(19, 60) else None,
            "label_ids": [label for label, _ in LABELS if r(23) >> label & 1 and r.chance(24, 40)],
            "origin": r.pick(25, ORIGINS), "origin_id": None, "channel": None, "channel_id": None,
            "arr": None, "mrr": None, "acv": None,
            "custom_fields": self._custom("deals", deal_id, add, opts),
        }  # fmt: skip

    def person(self, i: int, **opts: Any) -> dict[str, Any]:
        table = self.data.table("persons")
        pid, add, upd = i + 1, table.add[i], table.upd[i]
        r = self.data.rand("persons", pid)
        first, last = self.person_names(pid)
        org = self.person_org(pid)
        domain = self.org_name(org).split()[0].lower() + ".example" if org else "mail.example"
        emails = [
            {"value": f"{first}.{last}.{pid}@{domain}".lower(), "primary": True, "label": "work"}
        ]
        if r.chance(20, 30):
            emails.append(
                {"value": f"{first}{pid}@home.example".lower(), "primary": False, "label": "home"}
            )
        phones = [
            {"value": f"+1 555 {r(21 + n) % 10_000_000:07d}", "primary": n == 0, "label": label}
            for n, label in enumerate(("work", "mobile")[: r(22) % 3])
        ]
        return {
            "id": pid, "name": f"{first} {last}", "first_name": first, "last_name": last,
            "owner_id": self.owner("persons", pid), "org_id": org,
            "add_time": rfc3339(add), "update_time": rfc3339(upd),
            "emails": emails, "phones": phones, "is_deleted": False,
            "visible_to": 3 if r.chance(23, 85) else 1,
            "label_ids": [r.pick(24, LABELS)[0]] if r.chance(25, 25) else [],
            "picture_id": None, "job_title": r.pick(26, ("CEO", "CTO", "Buyer", "Analyst", None)),
            "custom_fields": self._custom("persons", pid, add, opts),
        }  # fmt: skip

    def organization(self, i: int, **opts: Any) -> dict[str, Any]:
        table = self.data.table("organizations")
        oid, add, upd = i + 1, table.add[i], table.upd[i]
        r = self.data.rand("organizations", oid)
        name = self.org_name(oid)
        city, country = r.pick(20, CITIES)
        address = None
        if r.chance(21, 70):
            street, number = f"{r.pick(22, ORG_WORDS)} Street", str(1 + r(23) % 200)
            address = {
                "value": f"{street} {number}, {city}, {country}", "country": country,
                "admin_area_level_1": None, "admin_area_level_2": None, "locality": city,
                "sublocality": None, "route": street, "street_number": number,
                "subpremise": None, "postal_code": f"{r(24) % 90_000 + 10_000}",
            }  # fmt: skip
            address["formatted_address"] = address["value"]
        slug = name.split()[0].lower()
        return {
            "id": oid, "name": name, "owner_id": self.owner("organizations", oid),
            "add_time": rfc3339(add), "update_time": rfc3339(upd), "is_deleted": False,
            "visible_to": 3, "address": address,
            "label_ids": [r.pick(25, LABELS)[0]] if r.chance(26, 20) else [],
            "website": f"https://{slug}.example" if r.chance(27, 60) else None,
            "linkedin": None, "industry": 1 + r(28) % 4 if r.chance(29, 50) else None,
            "annual_revenue": (r(30) % 500) * 10_000 if r.chance(31, 40) else None,
            "employee_count": r(32) % 5_000 if r.chance(33, 50) else None,
            "custom_fields": self._custom("organizations", oid, add, opts),
        }  # fmt: skip

    def activity(self, i: int, **opts: Any) -> dict[str, Any]:
        table = self.data.table("activities")
        aid, add, upd, done = i + 1, table.add[i], table.upd[i], bool(table.state[i] & DONE)
        r = self.data.rand("activities", aid)
        deal, person, org = self.activity_refs(aid)
        kind = r.pick(20, self.catalog.activity_types)
        timed = r.chance(21, 60)
        return {
            "id": aid, "subject": f"{kind['name']} with {self.org_name(org) if org else 'prospect'}",
            "type": kind["key_string"], "owner_id": self.owner("activities", aid),
            "creator_user_id": self.owner("activities", aid), "is_deleted": False,
            "add_time": rfc3339(add), "update_time": rfc3339(upd),
            "deal_id": deal, "lead_id": None, "person_id": person, "org_id": org, "project_id": None,
            "due_date": day(self.due(i)), "due_time": f"{8 + r(22) % 10:02d}:{r(23) % 4 * 15:02d}" if timed else None,
            "duration": f"{r(24) % 2:02d}:{15 + r(25) % 3 * 15:02d}" if timed else None,
            "busy": timed, "done": done,
            "marked_as_done_time": rfc3339(_between(add, upd, r(26))) if done else None,
            "location": None,
            "participants": [{"person_id": person, "primary": True}] if person else [],
            "attendees": [], "conference_meeting_client": None, "conference_meeting_url": None,
            "conference_meeting_id": None, "public_description": None,
            "priority": 1 + r(27) % 3 if r.chance(28, 30) else None,
            "note": f"<p>{kind['name']} notes</p>" if r.chance(29, 40) else None,
            "custom_fields": self._custom("activities", aid, add, opts),
        }  # fmt: skip

    def activity_refs(self, activity_id: int) -> tuple[int | None, int | None, int | None]:
        """(deal, person, org) of an activity; a deal's activity shares its contacts."""
        r = self.data.rand("activities", activity_id)
        deal = _id_in(r(2), self.sizes["deals"]) if r.chance(3, 60) else None
        if deal:
            _, person, org, _, _ = self.deal_refs(deal)
            return deal, person, org
        person = _id_in(r(4), self.sizes["persons"]) if r.chance(5, 70) else None
        return None, person, self.person_org(person) if person else None

    def due(self, i: int) -> int:
        """Due date (epoch seconds at midnight) of activity index i: the due_date sort key."""
        add = self.data.table("activities").add[i]
        offset = self.data.rand("activities", i + 1)(30) % (35 * DAY) - 5 * DAY
        return (add + offset) // DAY * DAY

    def product(self, i: int, **opts: Any) -> dict[str, Any]:
        table = self.data.table("products")
        pid, add, upd = i + 1, table.add[i], table.upd[i]
        r = self.data.rand("products", pid)
        base = (1 + r(20) % 200) * 10
        currencies = ["USD"] + [c for n, c in enumerate(CURRENCIES[1:]) if r(21) >> n & 1]
        prices = [
            {"product_id": pid, "price": round(base * RATES[c], 2), "currency": c,
             "cost": round(base * RATES[c] * 0.4, 2), "direct_cost": round(base * RATES[c] * 0.1, 2),
             "notes": ""}
            for c in currencies
        ]  # fmt: skip
        return {
            "id": pid, "name": self.product_name(pid), "code": f"SKU-{pid:05d}",
            "unit": r.pick(22, ("seat", "license", "hour", "unit")),
            "tax": r.pick(23, (0, 0, 7, 19, 21)), "is_deleted": False, "is_linkable": True,
            "visible_to": 3, "owner_id": self.owner("products", pid),
            "add_time": rfc3339(add), "update_time": rfc3339(upd),
            "description": None, "category": str(1 + r(24) % 3) if r.chance(25, 50) else None,
            "billing_frequency": r.pick(26, ("one-time", "monthly", "annually")),
            "billing_frequency_cycles": None, "prices": prices,
            "custom_fields": self._custom("products", pid, add, opts),
        }  # fmt: skip

    def product_name(self, product_id: int) -> str:
        r = self.data.rand("products", product_id)
        return f"{r.pick(10, PRODUCTS)} {r.pick(11, TIERS)} #{product_id}"

    def product_price(self, product_id: int, currency: str) -> float:
        base = (1 + self.data.rand("products", product_id)(20) % 200) * 10
        return round(base * RATES[currency], 2)
