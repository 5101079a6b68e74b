"""The seeded generator's building blocks, and the reference entities built with them.

`BaseGenerator` owns the one `random.Random(seed)` and the draws every resource is
made of: ids, (created, updated) timelines, timestamps, variants past the default
sizes, shared references and custom-field values. It builds the reference lists,
users, custom fields, pipelines and the product catalogue (docs/nectarcrm-api.md,
quirks included: `subCategoria` with a capital C, pricing keys only some products
carry); `emulator_data` builds the seven resources that change.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from crm_assets.sources.nectarcrm.emulator.vocabulary import (
    CNAES,
    CONTACT_CATEGORIES,
    CUSTOM_FIELDS,
    DAY,
    DEFAULT_SIZES,
    DEPENDENT_PRODUCT_KEYS,
    FIRST_ID,
    FIRST_NAMES,
    INACTIVE_PIPELINES,
    LAST_NAMES,
    MAX_AGE_DAYS,
    MOVING_STAMPS,
    ORIGINS,
    PIPELINES,
    PRODUCT_CATEGORIES,
    PRODUCT_EDITIONS,
    SECTIONS,
    SEGMENTS,
    TAGS,
    TEXTS,
    UPDATE_WINDOW_DAYS,
    Record,
    make_stamper,
    nth,
    product_name,
    slug,
)


class BaseGenerator:
    """Seeded draws and the reference entities; `emulator_data` builds the rest."""

    def __init__(self, seed: int, anchor: date, sizes: dict[str, int]):
        self.rng = random.Random(seed)
        self.random = self.rng.random
        self.sizes = sizes
        self.anchor = anchor
        self.anchor_start = int(datetime.combine(anchor, datetime.min.time(), UTC).timestamp())
        self.window_end = self.anchor_start + DAY
        self.data: dict[str, list[Record]] = {}
        self._attachments = 31_000
        self._stampers = (make_stamper(utc=False), make_stamper(utc=True))
        # Reference objects ({id, nome}, {id, login, nome}) are shared between records:
        # nothing mutates them, and sharing saves time and memory at scale 50.
        self.refs: dict[str, list[Record]] = {}
        self._custom: dict[str, list[tuple[str, bool, Callable[[], Any]]]] = {}

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
            {"id": pid, "nome": name, "ativo": pid not in INACTIVE_PIPELINES, "tipo": kind,
             "sequencias": [
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
        """A product as docs/nectarcrm-api.md's example shows one."""
        random, base = self.random, self.money(50, 20_000)
        row: Record = {
            "id": i, "nome": product_name(n),
            "descricao": f"{product_name(n)}: {self.choice(TEXTS).lower()}",
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
