"""Seeded NectarCRM records for the emulator, shaped as the vendor serves them.

Shapes: docs/nectarcrm-api.md ("Shapes") and the vendor's resource READMEs. Codes follow the vendor's resource READMEs: contact
`constante` 0..5, task status 0..3, appointment status 0..2, qualification status
1..6, proposal status 0..4, custom-field `tipo` 0..11 and `relacionado` as a page
name. Everything comes from one `random.Random(seed)` consumed in a fixed order,
plus the anchor date; never from the wall clock. This module builds the seven
resources that change; `emulator_generator` holds the draws and the reference
entities, `emulator_vocabulary` the sizes, words and timestamp formats.

Past the default sizes (scale > 1) records are variants of the first ones, with
their own ids and times (see `vary`), so that scale 50 builds in seconds.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime

from crm_assets.sources.nectarcrm.emulator.generator import BaseGenerator
from crm_assets.sources.nectarcrm.emulator.vocabulary import (
    APPOINTMENT_TYPES,
    CHECKLISTS,
    CITIES,
    COMPANY_SUFFIXES,
    COMPANY_WORDS,
    DAY,
    DEAL_TOPICS,
    DISTRICTS,
    FEEDBACK_SUBJECTS,
    FIRST_NAMES,
    LAST_NAMES,
    STREETS,
    TASK_TITLES,
    TEXTS,
    Record,
    cnpj,
    cpf,
    slug,
)


def build(seed: int, anchor: date, sizes: dict[str, int]) -> dict[str, list[Record]]:
    """Every resource's records, ordered by id. The same arguments give the same data."""
    # Hundreds of thousands of fresh dicts at scale 50 would trigger many full cyclic
    # GC passes that find nothing (the records hold no cycles); they doubled build time.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _Generator(seed, anchor, sizes).build()
    finally:
        if was_enabled:
            gc.enable()


class _Generator(BaseGenerator):
    def build(self) -> dict[str, list[Record]]:
        self._reference_lists()
        self.share("usuario", "id", "login", "nome")
        self._catalog()
        self._contacts()
        self.share("contatos", "id", "nome")
        self._opportunities()
        self.share("oportunidades", "id", "nome")
        self._qualifications()
        self._appointments()
        self._tasks()
        self.share("tarefas", "id", "titulo")
        self._feedbacks()
        self._proposals()
        return self.data

    # -- the records that change ---------------------------------------------------

    def _contacts(self) -> None:
        rows, choice, between, random = [], self.choice, self.between, self.random
        names = {r: [row["nome"] for row in self.data[r]] or [None]
                 for r in ("categoria", "origem", "segmento")}  # fmt: skip
        records = self.timeline("contatos")
        for n, (i, created, updated) in enumerate(records[: self.full("contatos")]):
            stamp = self.stamper(n)
            first, last = choice(FIRST_NAMES), choice(LAST_NAMES)
            city, state, ddd = choice(CITIES)
            company = random() < 0.55
            name = f"{last} {choice(COMPANY_WORDS)}" if company else f"{first} {last}"
            domain = f"{slug(last)}.com.br" if company else choice(("gmail.com", "uol.com.br"))
            emails = [f"{slug(first, '.')}.{slug(last)}@{domain}", f"contato{n}@{domain}"]
            phones = [f"({ddd}) 9{between(1000, 9999)}-{between(1000, 9999)}",
                      f"{ddd}3{between(1000000, 9999999)}"]  # fmt: skip
            rows.append({
                "id": i, "nome": name,
                "razaoSocial": f"{name} {choice(COMPANY_SUFFIXES)}" if company else None,
                "ativo": random() < 0.92, "constante": choice((0, 0, 1, 1, 2, 3, 3, 4, 5)),
                "cnpj": cnpj(between(0, 10**8)) if company else None,
                "cpf": None if company else cpf(between(0, 10**9)),
                "categoria": choice(names["categoria"]) if random() < 0.8 else None,
                "origem": choice(names["origem"]), "segmento": choice(names["segmento"]),
                "responsavel": self.person(),
                "emails": emails[: choice((0, 1, 1, 1, 2))],
                "telefones": phones[: choice((0, 1, 1, 2))],
                "enderecos": [] if random() < 0.3 else [{
                    "endereco": choice(STREETS), "numero": str(between(1, 3000)),
                    "bairro": choice(DISTRICTS), "cidade": city, "estado": state,
                    "cep": f"{between(0, 10**8):08d}", "pais": "Brasil"}],
                "camposPersonalizados": self.custom_values("Contato"),
                "dataCriacao": stamp(created), "dataAtualizacao": stamp(updated),
            })  # fmt: skip
        self.data["contatos"] = self.vary(rows, records)

    def _opportunities(self) -> None:
        rows = []
        funnels = [(p, {"id": p["id"], "nome": p["nome"]}) for p in self.data["pipeline"]
                   if p["tipo"] == 0]  # fmt: skip
        records = self.timeline("oportunidades")
        full = records[: self.full("oportunidades")]
        # 50% open, 20% won, 20% lost, 10% discarded: all four from five records on.
        statuses = _mix((1, 2, 3, 1, 4, 1, 2, 1, 3, 1), len(full), self.rng)
        for n, (i, created, updated) in enumerate(full):
            stamp, status = self.stamper(n), statuses[n]
            # Most in the main funnel, some in the partners' one, a few left in the
            # retired pipeline (`ativo: false`).
            draw = self.random()
            funnel, funnel_ref = funnels[0 if draw < 0.65 else 1 if draw < 0.92 else 2]
            stages = len(funnel["sequencias"])
            client = self.ref("contatos")
            lines = [self._line() for _ in range(self.choice((0, 1, 1, 2, 3, 4)))]
            by, discounts = [0.0, 0.0, 0.0], 0.0  # totals by recorrencia: once, monthly, yearly
            for line in lines:
                by[line["recorrencia"]] += line["valorTotal"]
                discounts += line["desconto"]
            closed = created + int(self.random() * (updated - created))
            rows.append({
                "id": i, "codigo": str(1000 + n),
                "nome": f"{self.choice(DEAL_TOPICS)} - {(client or {}).get('nome', 'sem cliente')}",
                "dataLimite": stamp(created + self.between(7, 91) * DAY),
                "dataConclusao": None if status == 1 else stamp(closed),
                "etapa": stages if status == 2 else self.between(1, stages + 1), "status": status,
                "pipeline": funnel["nome"], "funilVenda": funnel_ref,
                "probabilidade": 100 if status == 2 else self.choice((10, 25, 50, 75, 90)),
                "temperatura": self.choice(("Quente", "Morna", "Fria", "")),
                # Recorrencia 2 is annual, "mensal x 12" (oportunidade README).
                "valorAvulso": round(by[0], 2), "valorMensal": round(by[1] + by[2] / 12, 2),
                "valorTotal": round(sum(by), 2), "valorTotalDescontos": round(discounts, 2),
                "cliente": client, "responsavel": self.person(), "produtos": lines,
                "camposPersonalizados": self.custom_values("Oportunidade"),
                "dataCriacao": stamp(created), "dataAtualizacao": stamp(updated),
            })  # fmt: skip
        self.data["oportunidades"] = self.vary(rows, records)

    def _line(self) -> Record:
        """One `produtos[]` item of an opportunity."""
        product, random = self.pick("produto"), self.random
        if product is None:
            return {"refId": None, "nome": "Avulso", "quantidade": 1, "recorrencia": 0,
                    "valorUnitario": 100.0, "valorTotal": 100.0, "desconto": 0.0}  # fmt: skip
        quantity, unit = 1 + int(random() * 10), product["valorBase"]
        discount = round(quantity * unit * (0.05, 0.1, 0, 0)[int(random() * 4)], 2)
        return {"refId": product["id"], "nome": product["nome"], "quantidade": quantity,
                "recorrencia": product["recorrencia"], "valorUnitario": unit,
                "valorTotal": round(quantity * unit - discount, 2),
                "desconto": discount}  # fmt: skip

    def _qualifications(self) -> None:
        rows = []
        funnel = next(p for p in self.data["pipeline"] if p["tipo"] == 1)
        records = self.timeline("qualificacoes")
        full = records[: self.full("qualificacoes")]
        statuses = _mix((1, 2, 3, 4, 5, 6, 1, 3, 1, 2), len(full), self.rng)
        for n, (i, created, updated) in enumerate(full):
            stamp, client = self.stamper(n), self.ref("contatos")
            rows.append({
                "id": i, "codigo": f"Q{5000 + n}",
                "nome": f"Qualificação {client['nome'] if client else n}",
                "cliente": client, "status": statuses[n],
                "dataLimite": stamp(created + self.between(3, 31) * DAY),
                "etapa": self.between(1, len(funnel["sequencias"]) + 1), "pipeline": funnel["nome"],
                "funilVenda": {"id": funnel["id"], "nome": funnel["nome"]},
                "responsavel": self.person(), "tarefas": self.between(0, 4),
                "compromissos": self.between(0, 3),
                "camposPersonalizados": self.custom_values("Qualificação"),
                "dataCriacao": stamp(created), "dataAtualizacao": stamp(updated),
            })  # fmt: skip
        self.data["qualificacoes"] = self.vary(rows, records)

    def _appointments(self) -> None:
        rows, kinds = [], [{"id": i, "nome": name} for i, name in APPOINTMENT_TYPES]
        users = [
            {"id": u["id"], "nome": u["nome"], "email": u["email"]} for u in self.data["usuario"]
        ]
        records = self.timeline("compromissos")
        for n, (i, created, updated) in enumerate(records[: self.full("compromissos")]):
            stamp, kind = self.stamper(n), self.choice(kinds)
            client = self.ref("contatos")
            whole_day = self.random() < 0.1
            start = created + self.between(0, 30) * DAY
            # Whole-day events start at São Paulo midnight (03:00 UTC) and last a day.
            start = start - start % DAY + 3 * 3600 if whole_day else start - start % 1800
            guests = {}  # up to three distinct users, in the order they were invited
            for _ in range(self.between(0, 4) if users else 0):
                guest = self.choice(users)
                guests[guest["id"]] = guest
            rows.append({
                "id": i, "assunto": kind["nome"],
                "titulo": f"{kind['nome']} com {client['nome'] if client else 'equipe'}",
                "descricao": self.choice(TEXTS), "dataInicio": stamp(start),
                "dataFim": stamp(start + (DAY if whole_day else self.choice((1800, 3600, 5400)))),
                "diaInteiro": whole_day,
                "endereco": None if kind["nome"] == "Ligação" else
                f"{self.choice(STREETS)}, {self.between(1, 3000)} - {self.choice(CITIES)[0]}",
                "status": self.choice((0, 1, 1, 2)), "cliente": client,
                "responsavel": self.person(), "tipo": kind,
                "participantes": list(guests.values()),
                "dataCriacao": stamp(created), "dataAtualizacao": stamp(updated),
            })  # fmt: skip
        self.data["compromissos"] = self.vary(rows, records)

    def _tasks(self) -> None:
        rows = []
        records = self.timeline("tarefas")
        for n, (i, created, updated) in enumerate(records[: self.full("tarefas")]):
            stamp = self.stamper(n)
            due = created + self.between(1, 21) * DAY
            checklist = self.choice(CHECKLISTS) if self.random() < 0.3 else None
            rows.append({
                "id": i, "titulo": self.choice(TASK_TITLES), "descricao": self.choice(TEXTS),
                "dataLimite": stamp(due - due % DAY + 3 * 3600),  # São Paulo midnight
                "status": self.choice((0, 0, 1, 1, 1, 2, 3)), "tipo": self.between(0, 5),
                "prioridade": self.choice((0, 0, 0, 1, 2)), "cliente": self.ref("contatos"),
                "responsavel": self.person(),
                "checklist": {"id": checklist[0], "nome": checklist[1]} if checklist else None,
                "dataCriacao": stamp(created), "dataAtualizacao": stamp(updated),
            })  # fmt: skip
        self.data["tarefas"] = self.vary(rows, records)

    def _feedbacks(self) -> None:
        rows = []
        records = self.timeline("publicacao")
        for n, (i, created, updated) in enumerate(records[: self.full("publicacao")]):
            stamp, automatic = self.stamper(n), self.random() < 0.4
            deal = self.ref("oportunidades") if self.random() < 0.6 else None
            files = []
            for _ in range(self.choice((0, 0, 0, 1, 2))):
                name = self.choice(("proposta.pdf", "foto perfil.jpg", "contrato (v2).docx"))
                files.append(self.attachment(name))
            rows.append({
                "id": i,
                "assunto": "Editou uma oportunidade" if automatic
                else self.choice(FEEDBACK_SUBJECTS),
                # The vendor stores HTML here, single-quoted attributes included.
                "descricao": "Data de fechamento: <i class='icon-long-arrow-right'></i> <a>"
                f"{datetime.fromtimestamp(updated, UTC):%d/%m/%Y}</a>" if automatic
                else f"<p>{self.choice(TEXTS)}</p>",
                "importante": self.random() < 0.15, "automatica": automatic,
                "qtdeComentarios": self.choice((0, 0, 0, 1, 2, 5)), "autor": self.person(),
                "contato": self.ref("contatos") if self.random() < 0.7 else None,
                "oportunidade": deal,
                "tarefa": self.ref("tarefas") if self.random() < 0.2 else None,
                "anexos": files, "dataCriacao": stamp(created), "dataAtualizacao": stamp(updated),
            })  # fmt: skip
        self.data["publicacao"] = self.vary(rows, records)

    def _proposals(self) -> None:
        rows = []
        records = self.timeline("proposta")
        for n, (i, created, updated) in enumerate(records[: self.full("proposta")]):
            stamp, deal = self.stamper(n), self.pick("oportunidades")
            code = f"{n + 1:05d}/{datetime.fromtimestamp(created, UTC).year}"
            rows.append({
                "id": i, "nome": f"Proposta {code}", "descricao": self.choice(TEXTS),
                "codigo": code, "status": self.choice((0, 1, 2, 2, 3, 4)),
                "valorTotal": deal["valorTotal"] if deal else self.money(100, 50_000),
                "cliente": deal["cliente"] if deal else self.ref("contatos"),
                "oportunidade": {"id": deal["id"], "nome": deal["nome"]} if deal else None,
                "responsavel": self.person(),
                "dataCriacao": stamp(created), "dataAtualizacao": stamp(updated),
            })  # fmt: skip
        self.data["proposta"] = self.vary(rows, records)


def _mix(pattern: Sequence[int], count: int, rng: random.Random) -> list[int]:
    """`count` statuses in the pattern's proportions, shuffled."""
    values = [pattern[n % len(pattern)] for n in range(count)]
    rng.shuffle(values)
    return values
