"""The emulated account: records computed from their index, deterministically.

Times: every kind spreads its records evenly over `days` days ending at the end
of the anchor day, so each day has some of each. Ids: leads from 3,000,001,
contacts from 5,000,001, companies from 7,000,001, tasks from 9,000,001, notes
from 11,000,001 (per entity block), catalog elements from 6,000,001.
Deleted: lead `i % 37 == 5` (in the trash, listed by `with=only_deleted`),
contact `i % 41 == 7`, company `i % 43 == 3` (gone; only their events remain).

Lead histories: a lead's pipeline and its walk through the statuses depend on
`i % PLAN_PERIOD` (`lead_plan`): it enters its pipeline's first status, moves one
status at a time, and, if closed, goes from the status it closed from to 142
(won) or 143 (lost). Each move is a `lead_status_changed` event, the last at the
lead's `updated_at`, the earlier ones a profile's stays before it, all after
`created_at`. One in ten leads sits in the archived pipeline 7004 (`is_archive`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from crm_assets.sources.kommo.emulator import custom_fields
from crm_assets.sources.kommo.emulator.sequence import Kind, Periodic, Sieve, Stream

DEFAULT_SIZES = {"leads": 10_000, "contacts": 5_000, "companies": 2_000, "tasks": 5_000,
                 "notes": 3_000}  # fmt: skip
ID_BASE = {"leads": 3_000_001, "contacts": 5_000_001, "companies": 7_000_001,
           "tasks": 9_000_001, "leads/notes": 11_000_001, "contacts/notes": 12_000_001,
           "companies/notes": 13_000_001}  # fmt: skip
DELETED = {"leads": Sieve(37, 5), "contacts": Sieve(41, 7), "companies": Sieve(43, 3)}
ACCOUNT_ID = 31_415_926
ACCOUNT_CURRENCY = "BRL"  # Kommo has one currency per account: every lead's price is in it
USERS = [(10_001 + u, name) for u, name in enumerate(
    ["Ana Souza", "Bruno Lima", "Carla Dias", "Diego Alves", "Elisa Rocha", "Felipe Nunes",
     "Gabriela Melo", "Hugo Castro", "Isabela Pires", "João Teixeira", "Karina Lopes",
     "Lucas Moura"])]  # fmt: skip
# Pipelines and their statuses; 142 (won) and 143 (lost) close every pipeline.
PIPELINES = [
    (7_001, "Funil de vendas", True, ["Leads de entrada", "Contato inicial", "Proposta",
                                      "Negociação"]),
    (7_002, "Renovações", False, ["Leads de entrada", "Em análise", "Renovação enviada"]),
    (7_003, "Parcerias", False, ["Leads de entrada", "Qualificação", "Contrato"]),
    (7_004, "Funil 2024 (arquivado)", False, ["Leads de entrada", "Apresentação",
                                              "Fechamento"]),
]  # fmt: skip
ARCHIVED_PIPELINES = {7_004}
WON, LOST = 142, 143
# A lead's plan (pipeline, statuses walked) repeats with its index modulo this.
PLAN_PERIOD = 60
HOUR, DAY = 3_600, 86_400
# How long a lead stays in a status before its next move, walking back from its last
# move; three profiles so stays differ from lead to lead.
STAYS = (
    (2 * DAY + 3 * HOUR, 4 * DAY + 7 * HOUR, 3 * DAY + HOUR, 6 * DAY + 5 * HOUR, 5 * DAY),
    (9 * HOUR, DAY + 20 * HOUR, 8 * DAY, 2 * DAY + 2 * HOUR, 3 * DAY),
    (5 * DAY, 3 * DAY + 12 * HOUR, 12 * DAY, 4 * DAY, DAY + 6 * HOUR),
)
CATALOGS = [(5_001, "Produtos", "products"), (5_002, "Serviços", "regular")]
ELEMENTS_PER_CATALOG = 40
LOSS_REASONS = [(9_101, "Preço"), (9_102, "Concorrente"), (9_103, "Sem retorno")]


def statuses(pipeline_id: int, names: list[str]) -> list[dict[str, Any]]:
    rows = [
        {"id": pipeline_id * 10 + p, "name": name, "sort": (p + 1) * 10,
         "is_editable": p > 0, "pipeline_id": pipeline_id, "color": "#99ccff",
         "type": 1 if p == 0 else 0, "account_id": ACCOUNT_ID}
        for p, name in enumerate(names)
    ]  # fmt: skip
    for status_id, name, color in (
        (142, "Venda ganha", "#CCFF66"),
        (143, "Venda perdida", "#D5D8DB"),
    ):
        rows.append(
            {"id": status_id, "name": name, "sort": 10_000 + status_id, "is_editable": False,
             "pipeline_id": pipeline_id, "color": color, "type": 0, "account_id": ACCOUNT_ID}
        )  # fmt: skip
    return rows


def lead_plan(i: int) -> tuple[int, list[int]]:
    """(pipeline index, statuses the lead walked, first to current) of lead `i`."""
    rho = i % PLAN_PERIOD
    p = 3 if rho % 10 == 7 else rho % 3
    pid, _, _, names = PIPELINES[p]
    stages = [pid * 10 + n for n in range(len(names))]
    pick = (rho // 3 * 7) % (len(stages) + 2)
    if pick < len(stages):  # open
        return p, stages[: pick + 1]
    if pick == len(stages):  # won, from the last stage
        return p, [*stages, WON]
    return p, [*stages[: 1 + (rho * 11 // 7) % len(stages)], LOST]


def profile(i: int) -> int:
    return i % PLAN_PERIOD // 20


def before_last(i: int, moves: int) -> int:
    """Seconds from a lead's first status move (of the last `moves`) to its last one."""
    return sum(STAYS[profile(i)][: moves - 1]) if moves else 0


class Dataset:
    def __init__(self, *, anchor: date, days: int, sizes: dict[str, int]):
        self.sizes = {**DEFAULT_SIZES, **sizes}
        # Edits made through the emulator's admin method, by (entity, index).
        self.patches: dict[tuple[str, int], dict[str, Any]] = {}
        end = datetime.combine(anchor + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
        span = days * 86_400
        start = int(end.timestamp()) - span
        self.kinds = {
            name: Kind(n=self.sizes[name], start=start, span=span - 60, phase=phase,
                       deleted=DELETED.get(name, Sieve(2**62, 2**62 - 1)))
            for phase, name in enumerate(("leads", "contacts", "companies", "tasks", "notes"))
        }  # fmt: skip
        self.pipelines = [
            (pid, name, main, statuses(pid, names)) for pid, name, main, names in PIPELINES
        ]
        self.events = [
            *self._status_streams(),
            Stream("lead_deleted", self.kinds["leads"], deleted=True, code=1),
            Stream("contact_deleted", self.kinds["contacts"], deleted=True, code=2),
            Stream("company_deleted", self.kinds["companies"], deleted=True, code=3),
        ]

    def _status_streams(self) -> list[Stream]:
        """One stream per (moves before the last, stay profile): the leads that made that
        move, at their update time less that profile's stays. Each stream's times grow
        with the index, as `merged_page` needs."""
        leads = self.kinds["leads"]
        trash = DELETED["leads"]
        period = PLAN_PERIOD * trash.modulus
        streams = []
        for step in range(max(len(s) for *_, s in PIPELINES) + 1):
            for j, stays in enumerate(STAYS):
                members = {
                    r for r in range(period)
                    if not trash.is_hit(r) and profile(r) == j and len(lead_plan(r)[1]) - 1 > step
                }  # fmt: skip
                if not members:
                    continue
                shift = sum(stays[:step])
                kind = Kind(n=leads.n, start=leads.start - shift, span=leads.span,
                            phase=leads.phase, deleted=Periodic(period, members))  # fmt: skip
                code = 0x10 + step * len(STAYS) + j
                streams.append(Stream("lead_status_changed", kind, deleted=True, code=code,
                                      step=step))  # fmt: skip
        return streams

    # -- entities -----------------------------------------------------------------

    def lead(self, i: int) -> dict[str, Any]:
        updated = self.kinds["leads"].time(i)
        if DELETED["leads"].is_hit(i):
            return {"id": ID_BASE["leads"] + i, "updated_at": updated, "is_deleted": True}
        p, walked = lead_plan(i)
        pipeline_id, status = self.pipelines[p][0], walked[-1]
        closed = status in (WON, LOST)
        # Created before its first move, by a day or two more than the profile's stay.
        created = updated - before_last(i, len(walked) - 1) - STAYS[profile(i)][-1]
        return {
            "id": ID_BASE["leads"] + i,
            "name": f"Negócio #{i + 1}",
            "price": (i * 131) % 50_000,
            "responsible_user_id": USERS[i % len(USERS)][0],
            "group_id": 0,
            "status_id": status,
            "pipeline_id": pipeline_id,
            "loss_reason_id": LOSS_REASONS[i % 3][0] if status == 143 else None,
            "created_by": USERS[(i + 1) % len(USERS)][0],
            "updated_by": USERS[(i + 2) % len(USERS)][0],
            "created_at": created - (i * 7_919) % (2 * DAY),
            "updated_at": updated,
            "closed_at": updated if closed else None,
            "closest_task_at": None,
            "is_deleted": False,
            "custom_fields_values": custom_fields.values_for("leads", i),
            "score": None,
            "account_id": ACCOUNT_ID,
            "labor_cost": None,
            "is_price_modified_by_robot": False,
            **self.patches.get(("leads", i), {}),
        }

    def lead_embedded(self, i: int, with_: set[str]) -> dict[str, Any]:
        embedded: dict[str, Any] = {
            "tags": [{"id": 600 + i % 5, "name": f"tag{i % 5}", "color": None}] if i % 3 else [],
            "companies": [{"id": ID_BASE["companies"] + i % self.sizes["companies"]}]
            if self.sizes["companies"] else [],
        }  # fmt: skip
        if "contacts" in with_ and self.sizes["contacts"]:
            embedded["contacts"] = [
                {"id": ID_BASE["contacts"] + i % self.sizes["contacts"], "is_main": True}
            ]
        if "loss_reason" in with_:
            reason = self.lead(i).get("loss_reason_id")
            embedded["loss_reason"] = [{"id": r, "name": n} for r, n in LOSS_REASONS if r == reason]
        return embedded

    def contact(self, i: int) -> dict[str, Any]:
        first, last = ["Maria", "José", "Paula", "Rafael", "Lívia"][i % 5], f"Silva {i + 1}"
        return {
            "id": ID_BASE["contacts"] + i,
            "name": f"{first} {last}",
            "first_name": first,
            "last_name": last,
            "responsible_user_id": USERS[i % len(USERS)][0],
            "group_id": 0,
            "created_by": USERS[0][0],
            "updated_by": USERS[1][0],
            "created_at": self.kinds["contacts"].time(i) - (i * 4_801) % (60 * 86_400),
            "updated_at": self.kinds["contacts"].time(i),
            "closest_task_at": None,
            "is_deleted": False,
            "is_unsorted": False,
            "custom_fields_values": custom_fields.values_for("contacts", i),
            "account_id": ACCOUNT_ID,
            **self.patches.get(("contacts", i), {}),
        }

    def company(self, i: int) -> dict[str, Any]:
        return {
            "id": ID_BASE["companies"] + i,
            "name": f"Empresa {i + 1} S.A.",
            "responsible_user_id": USERS[i % len(USERS)][0],
            "group_id": 0,
            "created_by": USERS[2][0],
            "updated_by": USERS[3][0],
            "created_at": self.kinds["companies"].time(i) - (i * 3_301) % (90 * 86_400),
            "updated_at": self.kinds["companies"].time(i),
            "closest_task_at": None,
            "is_deleted": False,
            "custom_fields_values": custom_fields.values_for("companies", i),
            "account_id": ACCOUNT_ID,
            **self.patches.get(("companies", i), {}),
        }

    def task(self, i: int) -> dict[str, Any]:
        updated = self.kinds["tasks"].time(i)
        done = i % 3 == 0
        return {
            "id": ID_BASE["tasks"] + i,
            "created_by": USERS[i % len(USERS)][0],
            "updated_by": USERS[i % len(USERS)][0],
            "created_at": updated - 86_400,
            "updated_at": updated,
            "responsible_user_id": USERS[(i + 4) % len(USERS)][0],
            "group_id": 0,
            "entity_id": ID_BASE["leads"] + (i * 2) % max(self.sizes["leads"], 1),
            "entity_type": "leads",
            "duration": 1_800,
            "is_completed": done,
            "task_type_id": 1 + i % 2,
            "text": f"Ligar para o cliente #{i + 1}",
            "result": {"text": "Cliente retornou"} if done else [],
            "complete_till": updated + 3 * 86_400,
            "account_id": ACCOUNT_ID,
        }

    def note(self, entity: str, i: int) -> dict[str, Any]:
        """Note `i` of the notes stream; notes rotate over leads, contacts and companies."""
        updated = self.kinds["notes"].time(i)
        size = max(self.sizes[entity], 1)
        common = "common" if i % 2 else "call_in"
        params = {"text": f"Anotação {i + 1}"} if common == "common" else {
            "uniq": f"call-{i}", "duration": 60 + i % 600, "source": "Telefonia",
            "link": f"https://telefonia.exemplo.com/rec/{i}.mp3", "phone": f"+55 11 9{i:08d}"}  # fmt: skip
        return {
            "id": ID_BASE[f"{entity}/notes"] + i,
            "entity_id": ID_BASE[entity] + (i * 3) % size,
            "created_by": USERS[i % len(USERS)][0],
            "updated_by": USERS[i % len(USERS)][0],
            "created_at": updated - 3_600,
            "updated_at": updated,
            "responsible_user_id": USERS[i % len(USERS)][0],
            "group_id": 0,
            "note_type": common,
            "params": params,
            "account_id": ACCOUNT_ID,
        }

    def event(self, stream: Stream, i: int, moment: int) -> dict[str, Any]:
        name = stream.name
        entity, _, _ = name.partition("_")
        plural = {"lead": "leads", "contact": "contacts", "company": "companies"}[entity]
        record = {
            "id": f"01{stream.code:02x}{i:012x}",
            "type": name,
            "entity_id": ID_BASE[plural] + i,
            "entity_type": entity,
            "created_by": USERS[i % len(USERS)][0],
            "created_at": moment,
            "value_after": [],
            "value_before": [],
            "account_id": ACCOUNT_ID,
        }
        if name == "lead_status_changed":
            p, walked = lead_plan(i)
            pipeline_id = self.pipelines[p][0]
            after = len(walked) - 1 - stream.step
            record["value_before"] = [
                {"lead_status": {"id": walked[after - 1], "pipeline_id": pipeline_id}}
            ]
            record["value_after"] = [
                {"lead_status": {"id": walked[after], "pipeline_id": pipeline_id}}
            ]
        return record

    # -- small lists ------------------------------------------------------------------

    def account(self) -> dict[str, Any]:
        """`/account`: the fields every answer has (amocrm-api-php `AccountModel`)."""
        created = self.kinds["leads"].start - 400 * DAY
        return {
            "id": ACCOUNT_ID, "name": "Conta de demonstração", "subdomain": "demo",
            "created_at": created, "created_by": USERS[0][0],
            "updated_at": created + 30 * DAY, "updated_by": USERS[0][0],
            "current_user_id": USERS[0][0], "country": "BR",
            "currency": ACCOUNT_CURRENCY, "currency_symbol": "R$",
            "customers_mode": "disabled", "is_unsorted_on": True,
            "mobile_feature_version": 0, "is_loss_reason_enabled": True,
            "is_helpbot_enabled": False, "is_technical_account": False,
            "contact_name_display_order": 1,
        }  # fmt: skip

    def users(self) -> list[dict[str, Any]]:
        return [
            {"id": uid, "name": name, "email": f"{name.split()[0].lower()}@exemplo.com",
             "lang": "pt", "rights": {"leads": {"view": "A", "edit": "A", "add": "A",
             "delete": "A", "export": "A"}, "is_admin": uid == USERS[0][0], "is_free": False,
             "is_active": True, "group_id": None, "role_id": None, "status_rights": []}}
            for uid, name in USERS
        ]  # fmt: skip

    def catalogs(self) -> list[dict[str, Any]]:
        return [
            {"id": cid, "name": name, "created_by": USERS[0][0], "updated_by": USERS[0][0],
             "created_at": 1_690_000_000, "updated_at": 1_690_000_000, "sort": 10 * (n + 1),
             "type": kind, "can_add_elements": True, "can_show_in_cards": True,
             "can_link_multiple": True, "can_be_deleted": True, "sdk_widget_code": None,
             "account_id": ACCOUNT_ID}
            for n, (cid, name, kind) in enumerate(CATALOGS)
        ]  # fmt: skip

    def elements(self, catalog_id: int) -> list[dict[str, Any]]:
        offset = [c[0] for c in CATALOGS].index(catalog_id) * ELEMENTS_PER_CATALOG
        return [
            {"id": 6_000_001 + offset + e, "name": f"Item {offset + e + 1}",
             "created_by": USERS[0][0], "updated_by": USERS[0][0],
             "created_at": 1_690_000_000 + e, "updated_at": 1_690_000_000 + e,
             "is_deleted": False, "catalog_id": catalog_id,
             "custom_fields_values": custom_fields.values_for(f"catalogs/{catalog_id}", e + 1),
             "account_id": ACCOUNT_ID}
            for e in range(ELEMENTS_PER_CATALOG)
        ]  # fmt: skip
