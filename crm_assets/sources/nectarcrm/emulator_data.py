"""Seeded NectarCRM records for the emulator, shaped as the vendor serves them.

Shapes: wire-protocols.md section D ("Shapes"), nectarcrm-streams.md and
nectarcrm-api-produto.md (its quirks included: `subCategoria` with a capital C,
pricing keys that only some products carry). Codes follow the vendor's resource
READMEs: contact `constante` 0..5, task status 0..3, appointment status 0..2,
qualification status 1..6, proposal status 0..4, custom-field `tipo` 0..11 and
`relacionado` as a page name. Everything comes from one `random.Random(seed)`
consumed in a fixed order, plus the anchor date; never from the wall clock.

Past the default sizes (scale > 1) records are variants of the first ones, with
their own ids and times (see `vary`), so that scale 50 builds in seconds.
"""

from __future__ import annotations

import functools
import gc
import random
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from operator import mul
from typing import Any
from zoneinfo import ZoneInfo

Record = dict[str, Any]

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
DAY = 86_400
UPDATE_WINDOW_DAYS = 120  # dataAtualizacao falls in the 120 days ending on the anchor
MAX_AGE_DAYS = 730  # how long before its last update a record may have been created

DEFAULT_SIZES: dict[str, int] = {
    "contatos": 2000, "oportunidades": 3000, "qualificacoes": 600, "compromissos": 800,
    "tarefas": 1000, "publicacao": 500, "proposta": 400, "produto": 120,
    "produtoCategoria": 8, "produtoSubCategoria": 24, "tabelaPreco": 5,
    "campoPersonalizado": 12, "lista": 10, "origem": 8, "segmento": 6, "categoria": 5,
    "usuario": 12,
}  # fmt: skip
SCALED = ("contatos", "oportunidades", "qualificacoes", "compromissos", "tarefas",
          "publicacao", "proposta")  # fmt: skip
# Real ids are large and unrelated across resources; equal ids would hide join bugs.
FIRST_ID = {
    "contatos": 140_000, "oportunidades": 1_820_000, "qualificacoes": 520_000,
    "compromissos": 910_000, "tarefas": 2_300_000, "publicacao": 7_400_000,
    "proposta": 87_000, "produto": 8_400, "produtoCategoria": 10, "produtoSubCategoria": 100,
    "tabelaPreco": 300, "campoPersonalizado": 29_600, "lista": 700, "origem": 40,
    "segmento": 60, "categoria": 20, "usuario": 13_000,
}  # fmt: skip

# (id, nome, tipo, stages): sales funnels 1 and 2 are the opportunities' `funilVenda`.
PIPELINES = (
    (1, "Vendas", 0, ("Prospecção", "Qualificação", "Apresentação", "Proposta", "Negociação",
                      "Fechamento")),
    (2, "Parcerias", 0, ("Contato inicial", "Alinhamento", "Contrato", "Ativação")),
    (3, "Qualificação de leads", 1, ("Novo lead", "Em contato", "Qualificado", "Agendado")),
)  # fmt: skip
APPOINTMENT_TYPES = ((1, "Reunião"), (2, "Ligação"), (3, "Visita"), (4, "Demonstração"))
# Timestamps that move with a record's creation when `vary` copies it.
MOVING_STAMPS = ("dataLimite", "dataConclusao", "dataInicio", "dataFim")
DEPENDENT_PRODUCT_KEYS = ("id", "nome", "contador", "ativo", "valorBase", "recorrencia",
                          "permiteDesconto", "codigo", "moeda", "descontoMaximo", "comissao",
                          "isComissaoPorcentual", "isDescontoPorcentual")  # fmt: skip
CHECKLISTS = ((1, "Onboarding"), (2, "Pré-venda"), (3, "Renovação"))
# (nome, tipo, relacionado, opcoes); tipo as the campoPersonalizado README numbers them.
CUSTOM_FIELDS = (
    ("Faturamento anual", 3, "Contato", ()), ("Nº de funcionários", 0, "Contato", ()),
    ("Porte", 5, "Contato", ("Micro", "Pequena", "Média", "Grande")),
    ("Site", 8, "Contato", ()), ("CNAE principal", 10, "Contato", ()),
    ("Concorrente", 1, "Oportunidade", ()),
    ("Motivo da perda", 7, "Oportunidade", ("Preço", "Prazo", "Concorrência", "Sem orçamento")),
    ("Módulos de interesse", 11, "Oportunidade", ("CRM", "ERP", "BI", "Suporte")),
    ("Previsão de fechamento", 2, "Oportunidade", ()), ("Indicado por", 9, "Oportunidade", ()),
    ("Orçamento aprovado?", 4, "Qualificação", ()),
    ("Observações do SDR", 6, "Qualificação", ()),
)  # fmt: skip
SECTIONS = {"Contato": (1, "Informações gerais"), "Oportunidade": (2, "Dados comerciais"),
            "Qualificação": (3, "Pré-vendas")}  # fmt: skip
FIRST_NAMES = ("Ana", "João", "Maria", "José", "Luíza", "Antônio", "Conceição", "Paulo",
               "Fernanda", "Márcia", "Rafael", "Beatriz", "Thiago", "Letícia", "Gustavo",
               "Camila", "Rodrigo", "Juliana", "Sérgio", "Patrícia", "Vinícius",
               "Otávio")  # fmt: skip
LAST_NAMES = ("Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Ferreira", "Costa",
              "Rodrigues", "Almeida", "Nascimento", "Araújo", "Gonçalves", "Carvalho",
              "D'Ávila", "Magalhães", "Brandão", "Queiroz", "Conceição", "Müller")  # fmt: skip
COMPANY_WORDS = ("Tecnologia", "Comércio", "Logística", "Alimentos", "Engenharia",
                 "Consultoria", "Distribuidora", "Indústria", "Serviços", "Agro & Cia")  # fmt: skip
COMPANY_SUFFIXES = ("Ltda", "S.A.", "ME", "EIRELI")
CITIES = (("São Paulo", "SP", 11), ("Rio de Janeiro", "RJ", 21), ("Belo Horizonte", "MG", 31),
          ("Curitiba", "PR", 41), ("Porto Alegre", "RS", 51), ("Salvador", "BA", 71),
          ("Recife", "PE", 81), ("Goiânia", "GO", 62), ("Florianópolis", "SC", 48))  # fmt: skip
STREETS = ("Rua das Flores", "Avenida Paulista", "Rua XV de Novembro", "Avenida Brasil",
           "Rua Sete de Setembro", "Alameda Santos", "Rua Augusta")  # fmt: skip
DISTRICTS = ("Centro", "Jardim América", "Vila Mariana", "Boa Viagem", "Savassi", "Batel")
ORIGINS = ("Site", "Indicação", "Google Ads", "LinkedIn", "Evento", "Prospecção ativa",
           "Telefone", "Parceiro")  # fmt: skip
SEGMENTS = ("Tecnologia", "Varejo", "Indústria", "Saúde", "Educação", "Serviços financeiros")
CONTACT_CATEGORIES = ("Cliente ativo", "Prospect", "Parceiro", "Fornecedor", "Ex-cliente")
TAGS = ("VIP", "Newsletter", "Evento 2026", "Inadimplente", "Upsell", "Black Friday",
        "Webinar", "Churn risk", "Enterprise", "PME")  # fmt: skip
PRODUCT_CATEGORIES = ("Software", "Serviços", "Hardware", "Treinamentos", "Suporte",
                      "Consultoria", "Licenças", "Acessórios")  # fmt: skip
PRODUCT_KINDS = ("Licença CRM", "Implantação", "Suporte", "Treinamento", "Consultoria",
                 "Integração", "Módulo BI", "Usuário adicional")  # fmt: skip
PRODUCT_EDITIONS = ("Básico", "Pro", "Premium", "Enterprise", "Starter")
DEAL_TOPICS = ("Implantação CRM", "Renovação anual", "Expansão de licenças", "Projeto BI",
               "Consultoria", "Treinamento equipe")  # fmt: skip
TASK_TITLES = ("Ligar para o cliente", "Enviar proposta", "Follow-up", "Cobrar retorno",
               "Preparar apresentação", "Atualizar cadastro")  # fmt: skip
FEEDBACK_SUBJECTS = ("Reunião realizada", "Cliente pediu desconto", "Nota interna",
                     "Retorno do cliente")  # fmt: skip
TEXTS = ("Cliente satisfeito", "Aguardando retorno", "Decisor: diretoria", "Sem observações",
         'Disse "talvez" na última ligação', "Preferência por contato via e-mail")  # fmt: skip
CNAES = ("6201-5/01", "4751-2/01", "7020-4/00", "8599-6/04", "4930-2/02")


def resolve_sizes(scale: float, overrides: dict[str, int] | None) -> dict[str, int]:
    """Default sizes, the seven record resources multiplied by `scale`, then `overrides`."""
    unknown = set(overrides or {}) - set(DEFAULT_SIZES)
    if unknown:
        raise ValueError(f"unknown resources in sizes: {sorted(unknown)}")
    sizes = {name: round(n * scale) if name in SCALED else n for name, n in DEFAULT_SIZES.items()}
    return {**sizes, **(overrides or {})}


def local_day(stamp: str) -> date:
    """The São Paulo calendar day of an ISO-8601 timestamp: what the date filters compare."""
    return datetime.fromisoformat(stamp).astimezone(SAO_PAULO).date()


def format_stamp(moment: datetime, utc: bool) -> str:
    """`2026-11-20T10:00:00-03:00` in São Paulo time, or `2026-11-20T13:00:00Z`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.replace(microsecond=0)
    if utc:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.astimezone(SAO_PAULO).isoformat()


def nth(names: Sequence[str], n: int) -> str:
    """The n-th name of a pool, numbered once the pool runs out, so names stay unique."""
    base = names[n % len(names)]
    return base if n < len(names) else f"{base} {n // len(names) + 1}"


@functools.cache
def slug(text: str, space: str = "") -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    kept = "".join(c if c.isalnum() else " " for c in ascii_text.lower())
    return space.join(kept.split())


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


class _Generator:
    def __init__(self, seed: int, anchor: date, sizes: dict[str, int]):
        self.rng = random.Random(seed)
        self.random = self.rng.random
        self.sizes = sizes
        self.anchor = anchor
        self.anchor_start = int(datetime.combine(anchor, datetime.min.time(), UTC).timestamp())
        self.window_end = self.anchor_start + DAY
        self.data: dict[str, list[Record]] = {}
        self._attachments = 31_000
        self._stampers = (self._make_stamper(utc=False), self._make_stamper(utc=True))
        # Reference objects ({id, nome}, {id, login, nome}) are shared between records:
        # nothing mutates them, and sharing saves time and memory at scale 50.
        self.refs: dict[str, list[Record]] = {}
        self._custom: dict[str, list[tuple[str, bool, Callable[[], Any]]]] = {}

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

    # -- building blocks -----------------------------------------------------------
    # Scale 50 builds about 400,000 records, so these avoid random.choice/randrange
    # (pure Python, several calls deep) in favour of one random() call each.

    def choice(self, seq: Sequence[Any]) -> Any:
        return seq[int(self.random() * len(seq))]

    def between(self, low: int, high: int) -> int:
        """An integer in [low, high)."""
        return low + int(self.random() * (high - low))

    def ids(self, resource: str) -> list[int]:
        """Ascending ids with the occasional gap a real account's deletions leave."""
        random, current, ids = self.random, FIRST_ID[resource], []
        for _ in range(self.sizes[resource]):
            current += 1 if random() < 0.85 else 2 + int(random() * 5)
            ids.append(current)
        return ids

    def timeline(self, resource: str) -> list[tuple[int, int, int]]:
        """(id, created, updated) per record, epoch seconds; ids follow creation order.

        Updates spread over the window; one record is always updated on the anchor
        day between 03:00 and 24:00 UTC, so on the anchor day in São Paulo too.
        """
        random, ids = self.random, self.ids(resource)
        start, span = self.window_end - UPDATE_WINDOW_DAYS * DAY, UPDATE_WINDOW_DAYS * DAY
        pairs = []
        for _ in ids:
            updated = start + int(random() * span)
            # A quarter were never edited after creation; the rest were, some long after.
            age = 0 if random() < 0.25 else int(random() ** 2 * MAX_AGE_DAYS * DAY)
            pairs.append((updated - age, updated))
        if pairs:
            updated = self.anchor_start + self.between(3 * 3600, DAY)
            pairs[self.between(0, len(pairs))] = (updated - self.between(0, 3 * 3600), updated)
        pairs.sort()
        return [(i, created, updated) for i, (created, updated) in zip(ids, pairs, strict=True)]

    def stamper(self, index: int) -> Callable[[int], str]:
        """The timestamp format of the `index`-th record: every 7th prints UTC with `Z`."""
        return self._stampers[index % 7 == 6]

    @staticmethod
    def _make_stamper(utc: bool) -> Callable[[int], str]:
        """`format_stamp` for epoch seconds, at a fraction of its cost.

        Date, hour and offset are worked out once per hour; minutes and seconds are
        the same in São Paulo as in UTC: its offsets have been whole hours since 1914.
        """
        hours: dict[int, tuple[str, str]] = {}

        def stamp(ts: int) -> str:
            parts = hours.get(ts // 3600)
            if parts is None:
                text = format_stamp(datetime.fromtimestamp(ts - ts % 3600, UTC), utc)
                parts = hours[ts // 3600] = (text[:14], text[19:])
            rest = ts % 3600
            return f"{parts[0]}{rest // 60:02d}:{rest % 60:02d}{parts[1]}"

        return stamp

    def full(self, resource: str) -> int:
        """How many records of `resource` are built one by one; `vary` makes the rest."""
        return min(self.sizes[resource], DEFAULT_SIZES[resource])

    def vary(self, rows: list[Record], records: list[tuple[int, int, int]]) -> list[Record]:
        """Complete `rows` to one per `records` entry with variants of the rows built so far.

        A variant copies a row, then takes its own id, creation and update times
        (other timestamps move with its creation), owner, `codigo` and attachment ids. At
        scale 50 (about 400,000 records) building each record in full took several
        times as long, and benchmarks need volume, not variety.
        """
        base = len(rows)
        for n in range(base, len(records)):
            i, created, updated = records[n]
            template, stamp = rows[n % base], self.stamper(n)
            shift = created - records[n % base][1]
            row = {**template, "id": i, "dataCriacao": stamp(created),
                   "dataAtualizacao": stamp(updated)}  # fmt: skip
            for key in MOVING_STAMPS:
                if template.get(key):
                    moved = int(datetime.fromisoformat(template[key]).timestamp()) + shift
                    row[key] = stamp(min(moved, updated) if key == "dataConclusao" else moved)
            if "codigo" in row:
                row["codigo"] = f"{template['codigo']}-{n // base}"
            if "responsavel" in row:
                row["responsavel"] = self.person()
            if template.get("anexos"):
                row["anexos"] = [self.attachment(a["nome"]) for a in template["anexos"]]
            rows.append(row)
        return rows

    def attachment(self, name: str) -> Record:
        self._attachments += 1
        number = self._attachments
        return {"id": number, "nome": name,
                "url": f"https://files.nectarcrm.demo.invalid/anexos/{number}"}  # fmt: skip

    def pick(self, resource: str) -> Record | None:
        rows = self.data[resource]
        return rows[int(self.random() * len(rows))] if rows else None

    def share(self, resource: str, *keys: str) -> None:
        """Build the shared reference objects of `resource` from `keys`."""
        self.refs[resource] = [{k: row[k] for k in keys} for row in self.data[resource]]

    def ref(self, resource: str) -> Record | None:
        refs = self.refs[resource]
        return refs[int(self.random() * len(refs))] if refs else None

    def person(self) -> Record | None:
        """A `responsavel`/`autor` reference: `{id, login, nome}`."""
        return self.ref("usuario")

    def money(self, low: float, high: float) -> float:
        return round(low + self.random() * (high - low), 2)

    def custom_values(self, related: str) -> Record:
        """`camposPersonalizados`: each field of this record type, by name; null when unset."""
        values = {}
        for name, active, value in self._custom[related]:
            values[name] = value() if active and self.random() >= 0.2 else None
        return values

    def _custom_value(self, kind: int, options: Sequence[str]) -> Callable[[], Any]:
        """How a field of `kind` (the README's tipo codes) gets a value."""
        choice, random = self.choice, self.random
        by_kind: dict[int, Callable[[], Any]] = {
            0: lambda: self.between(1, 5000),  # number
            2: lambda: (self.anchor + timedelta(days=self.between(-60, 90))).strftime("%d/%m/%Y"),
            3: lambda: self.money(1e5, 5e7),  # currency
            4: lambda: random() < 0.5,  # boolean
            5: lambda: choice(options),  # a list of options
            7: lambda: choice(options),  # radio
            8: lambda: f"https://www.{slug(choice(LAST_NAMES))}.com.br",  # URL
            9: lambda: (self.ref("contatos") or {}).get("nome"),  # a contact, by name
            10: lambda: choice(CNAES),
            11: lambda: [o for o in options if random() < 0.5] or list(options[:1]),  # checkboxes
        }  # fmt: skip
        return by_kind.get(kind, lambda: choice(TEXTS))  # 1 and 6 are text

    # -- reference lists and the catalogue ------------------------------------------

    def _reference_lists(self) -> None:
        for resource, names in (("origem", ORIGINS), ("segmento", SEGMENTS),
                                ("categoria", CONTACT_CATEGORIES)):  # fmt: skip
            self.data[resource] = [{"id": i, "nome": nth(names, n)}
                                   for n, i in enumerate(self.ids(resource))]  # fmt: skip
        self.data["lista"] = [{"id": i, "nome": nth(TAGS, n), "relacionada": n % 3}
                              for n, i in enumerate(self.ids("lista"))]  # fmt: skip
        users, count = [], self.sizes["usuario"]
        for n, i in enumerate(self.ids("usuario")):
            first, last = FIRST_NAMES[n % len(FIRST_NAMES)], LAST_NAMES[3 * n % len(LAST_NAMES)]
            email = f"{slug(first)}.{slug(last)}{n if n >= len(FIRST_NAMES) else ''}@vendas.example"
            # The last user has left the company but still owns records.
            users.append({"id": i, "nome": f"{first} {last}", "login": email, "email": email,
                          "ativo": n < count - 1 or count == 1})  # fmt: skip
        self.data["usuario"] = users
        fields = []
        for n, i in enumerate(self.ids("campoPersonalizado")):
            name, kind, related, options = CUSTOM_FIELDS[n % len(CUSTOM_FIELDS)]
            if n >= len(CUSTOM_FIELDS):
                name = f"{name} {n // len(CUSTOM_FIELDS) + 1}"
            section_id, section = SECTIONS[related]
            fields.append({
                "id": i, "nome": name, "alias": slug(name, "_"), "tipo": kind,
                "obrigatorio": n % 4 == 0, "ativo": n % 9 != 8, "relacionado": related,
                "opcoes": list(options), "secao": {"id": section_id, "nome": section},
            })  # fmt: skip
        self.data["campoPersonalizado"] = fields
        for related in SECTIONS:
            self._custom[related] = [
                (f["nome"], f["ativo"], self._custom_value(f["tipo"], f["opcoes"]))
                for f in fields if f["relacionado"] == related
            ]  # fmt: skip
        self.data["pipeline"] = [
            {"id": pid, "nome": name, "ativo": True, "tipo": kind, "sequencias": [
                {"id": pid * 10 + n, "nome": stage, "sequencia": n, "prazo": 2 + n % 3 * 2,
                 "gerarProposta": stage == "Proposta"}
                for n, stage in enumerate(stages, start=1)]}
            for pid, name, kind, stages in PIPELINES
        ]  # fmt: skip

    def _catalog(self) -> None:
        categories = []
        for n, i in enumerate(self.ids("produtoCategoria")):
            name = nth(PRODUCT_CATEGORIES, n)
            categories.append({"id": i, "nome": name, "descricao": f"Produtos de {name.lower()}",
                               "ativo": n % 7 != 6, "subcategorias": []})  # fmt: skip
        subcategories = []
        for n, i in enumerate(self.ids("produtoSubCategoria")):
            parent = categories[n % len(categories)] if categories else None
            name = f"{parent['nome'] if parent else 'Geral'} {PRODUCT_EDITIONS[n % 5]} {n + 1}"
            row = {"id": i, "nome": name, "descricao": f"Linha {name}", "ativo": n % 11 != 10}
            if parent:
                parent["subcategorias"].append(dict(row))
            parent_ref = {"id": parent["id"], "nome": parent["nome"]} if parent else None
            subcategories.append({**row, "categoria": parent_ref})
        self.data["produtoCategoria"] = categories
        self.data["produtoSubCategoria"] = subcategories
        by_id = {c["id"]: c for c in categories}
        products: list[Record] = []
        for n, i in enumerate(self.ids("produto")):
            sub = self.pick("produtoSubCategoria")
            category = by_id[sub["categoria"]["id"]] if sub and sub["categoria"] else None
            products.append(self._product(n, i, category, sub, products))
        self.data["produto"] = products
        tables, count = [], self.sizes["tabelaPreco"]
        for n, i in enumerate(self.ids("tabelaPreco")):
            factor = (1.0, 0.9, 1.15, 0.8, 1.05)[n % 5]
            prices = [{"id": p["id"], "nome": p["nome"], "valor": round(p["valorBase"] * factor, 2)}
                      for p in products if self.random() < 0.3]  # fmt: skip
            tables.append({"id": i, "nome": f"Tabela {n + 1}",
                           "descricao": f"Preços com fator {factor:g}",
                           "ativo": n < count - 1 or count == 1,  # the last one is retired
                           "produtos": prices})  # fmt: skip
        self.data["tabelaPreco"] = tables

    def _product(self, n: int, i: int, category: Record | None, sub: Record | None,
                 earlier: list[Record]) -> Record:  # fmt: skip
        """A product as nectarcrm-api-produto.md's example shows one."""
        random, base = self.random, self.money(50, 20_000)
        row: Record = {
            "id": i, "nome": _product_name(n),
            "descricao": f"{_product_name(n)}: {self.choice(TEXTS).lower()}",
            "codigo": f"{n // 10 + 1}.{n % 10 + 1}", "valorBase": base,
            "recorrencia": self.choice((0, 1, 1, 2)), "ativo": random() < 0.9,
            "moeda": "USD" if random() < 0.1 else "BRL",
            "categoria": {k: category[k] for k in ("id", "nome", "ativo")} if category else None,
            # The example spells this key subCategoria, the README's table subcategoria.
            "subCategoria": {k: sub[k] for k in ("id", "nome", "ativo")}
            if sub and random() < 0.85 else None,
            "contador": 128 + n, "comissao": 0 if random() < 0.6 else self.money(1, 15),
            "isComissaoPorcentual": True, "descontoMaximo": self.choice((0, 5, 10, 15)),
            "isDescontoPorcentual": True, "permiteDesconto": random() < 0.7,
            "possuiEstoque": (stock := random() < 0.2),
            "quantidadeEstoque": self.between(0, 500) if stock else 0,
            "valorEditavel": random() < 0.5, "fracionario": False,
            "editarProdutosDependentes": False, "produtos": [],
        }  # fmt: skip
        if earlier and random() < 0.1:
            dependent = self.choice(earlier)
            row["produtos"] = [{k: dependent[k] for k in DEPENDENT_PRODUCT_KEYS}]
        pricing = random()
        # Only products priced by composition or by bands carry these keys at all.
        if pricing < 0.1:
            row["itensDeCusto"] = [{"id": n + 1, "nome": f"Formação {n + 1}", "valor": base,
                                    "quantidade": 2.0}]  # fmt: skip
            row["valorBaseComposto"] = round(base * 2, 2)
        elif pricing < 0.2:
            row["faixasPreco"] = [
                {"quantidadeInicial": 0, "quantidadeFinal": 10, "valor": base},
                {"quantidadeInicial": 11, "quantidadeFinal": 20, "valor": round(base * 0.9, 2)},
            ]
        return row

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
                "cnpj": _cnpj(between(0, 10**8)) if company else None,
                "cpf": None if company else _cpf(between(0, 10**9)),
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
            funnel, funnel_ref = funnels[0] if self.random() < 0.7 else funnels[1]
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


def _product_name(n: int) -> str:
    kinds, editions = len(PRODUCT_KINDS), len(PRODUCT_EDITIONS)
    name = f"{PRODUCT_KINDS[n % kinds]} {PRODUCT_EDITIONS[n // kinds % editions]}"
    return name if n < kinds * editions else f"{name} v{n // (kinds * editions) + 1}"


def _mix(pattern: Sequence[int], count: int, rng: random.Random) -> list[int]:
    """`count` statuses in the pattern's proportions, shuffled."""
    values = [pattern[n % len(pattern)] for n in range(count)]
    rng.shuffle(values)
    return values


def _cpf(number: int) -> str:
    """A CPF with valid check digits (the public modulo-11 rule)."""
    text = f"{number:09d}"
    digits = list(map(int, text))
    first = sum(map(mul, digits, range(10, 1, -1))) * 10 % 11 % 10
    second = (sum(map(mul, digits, range(11, 2, -1))) + 2 * first) * 10 % 11 % 10
    return f"{text[:3]}.{text[3:6]}.{text[6:]}-{first}{second}"


def _cnpj(number: int) -> str:
    """A head-office CNPJ (`/0001`) with valid check digits."""
    text = f"{number:08d}0001"
    digits = list(map(int, text))
    first = sum(map(mul, digits, (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2))) % 11
    first = 0 if first < 2 else 11 - first
    second = (sum(map(mul, digits, (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3))) + 2 * first) % 11
    second = 0 if second < 2 else 11 - second
    return f"{text[:2]}.{text[2:5]}.{text[5:8]}/{text[8:]}-{first}{second}"
