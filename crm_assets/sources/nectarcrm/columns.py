"""NectarCRM's declared columns: how a record's fields become typed columns, and what
each column means, per stream.

A stream lists its columns as `Field`s (in `streams.py`): a plain copy, a reference
object spread into `<prefix>_id` / `<prefix>_nome` style columns, a JSON-kept value,
or a timestamp parsed to UTC. Keys of the record that no field consumed pass through
unchanged, so a field the vendor adds later still reaches the warehouse.

Descriptions are written in our own words from NectarCRM's public API documentation
(each resource's schema table); field names stay Portuguese, as the API sends them.
Dates and times are stored in UTC; the API sends São Paulo time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from crm_assets.core import schema as t
from crm_assets.core.spec.flatten import parse_time
from crm_assets.core.spec.streams import Link
from crm_assets.sources.nectarcrm.client import SAO_PAULO

Record = dict[str, Any]


@dataclass(frozen=True)
class Field:
    """One or more output columns computed from one or more raw keys."""

    columns: dict[str, str]
    raw_keys: tuple[str, ...]
    extract: Callable[[Record], Record]


def copy(name: str, kind: str, *, source: str | None = None) -> Field:
    key = source or name
    return Field({name: kind}, (key,), lambda r: {name: r.get(key)})


def first_of(name: str, kind: str, *sources: str) -> Field:
    """The first key present: for a field the vendor spells two ways."""

    def extract(record: Record) -> Record:
        for key in sources:
            if record.get(key) is not None:
                return {name: record[key]}
        return {name: None}

    return Field({name: kind}, tuple(sources), extract)


def reference(prefix: str, parts: dict[str, str], *sources: str) -> Field:
    """A nested object spread into `<prefix>_<part>` columns; a bare string is its `nome`."""
    columns = {f"{prefix}_{part}": kind for part, kind in parts.items()}
    sources = sources or (prefix,)

    def extract(record: Record) -> Record:
        value = next((record[k] for k in sources if record.get(k) is not None), None)
        if isinstance(value, str):
            value = {"nome": value}
        value = value if isinstance(value, dict) else {}
        return {f"{prefix}_{part}": value.get(part) for part in parts}

    return Field(columns, tuple(sources), extract)


def named(name: str, *, source: str | None = None, part: str = "nome") -> Field:
    """A value some payloads send as a string and others as `{id, nome}`: the name."""
    key = source or name

    def extract(record: Record) -> Record:
        value = record.get(key)
        return {name: value.get(part) if isinstance(value, dict) else value}

    return Field({name: t.TEXT}, (key,), extract)


def json_kept(name: str, *, source: str | None = None) -> Field:
    key = source or name
    return Field({name: t.JSON}, (key,), lambda r: {name: r.get(key)})


def when(name: str) -> Field:
    """An ISO-8601 string stored in UTC; a value without offset is São Paulo time."""
    return Field({name: t.TIMESTAMP}, (name,), lambda r: {name: parse_time(r.get(name), SAO_PAULO)})


def audit() -> list[Field]:
    return [when("dataCriacao"), when("dataAtualizacao")]


PERSON = {"id": t.INTEGER, "nome": t.TEXT, "login": t.TEXT}
NAMED = {"id": t.INTEGER, "nome": t.TEXT}


class Flattener:
    """Callable turning a raw record into a flat row; `columns` are its declared types."""

    def __init__(self, fields: Sequence[Field]):
        self.fields = tuple(fields)
        self.consumed = {k for f in fields for k in f.raw_keys}
        self.columns: dict[str, str] = {}
        for f in fields:
            self.columns.update(f.columns)

    def __call__(self, record: Record) -> Record:
        row: Record = {}
        for f in self.fields:
            row.update(f.extract(record))
        for key, value in record.items():
            if key not in self.consumed and key not in row:
                row[key] = value
        return row


_COMMON = {
    "id": "Id of the record in NectarCRM.",
    "nome": "Name.",
    "descricao": "Description.",
    "codigo": "The record's code, as shown in NectarCRM.",
    "ativo": "True while the record is active.",
    "status": "Status code of the record.",
    "dataCriacao": "When the record was created (UTC).",
    "dataAtualizacao": "When the record last changed (UTC).",
    "responsavel_id": "Id of the user responsible for the record.",
    "responsavel_nome": "Name of the user responsible for the record.",
    "responsavel_login": "Login (email) of the user responsible for the record.",
    "cliente_id": "Id of the contact (customer) the record concerns.",
    "cliente_nome": "Name of the contact (customer) the record concerns.",
    "camposPersonalizados": "Custom field values, keyed by field name (JSON).",
    "pipeline": "Name of the pipeline.",
    "funil_venda_id": "Id of the sales funnel (pipeline).",
    "funil_venda_nome": "Name of the sales funnel (pipeline).",
    "etapa": "Position of the current stage in the pipeline.",
    "dataLimite": "Deadline (UTC).",
}

_BY_STREAM: dict[str, dict[str, str]] = {
    "contacts": {
        "nome": "Name of the person or company.",
        "razaoSocial": "Registered company name.",
        "constante": "Contact kind code: person or company.",
        "cnpj": "Brazilian company tax number (CNPJ).",
        "cpf": "Brazilian personal tax number (CPF).",
        "categoria": "Name of the contact's category.",
        "origem": "Name of the lead source the contact came from.",
        "segmento": "Name of the market segment.",
        "emails": "Email addresses (JSON list); also the `__emails` table.",
        "telefones": "Phone numbers (JSON list); also the `__telefones` table.",
        "endereco": "Postal addresses (JSON list); also the `__enderecos` table.",
    },
    "opportunities": {
        "nome": "The deal's title.",
        "dataConclusao": "When the deal was won, lost or discarded (UTC).",
        "status": "1 open, 2 won, 3 lost, 4 discarded.",
        "probabilidade": "Chance of winning, in percent.",
        "temperatura": "How warm the deal is, as rated by the seller.",
        "valorAvulso": "One-off value of the deal.",
        "valorMensal": "Monthly recurring value of the deal.",
        "valorTotal": "Total value of the deal.",
        "valorTotalDescontos": "Total of the discounts given.",
        "produtos": "Products on the deal (JSON list); also the `__produtos` table.",
    },
    "qualifications": {
        "nome": "The qualification's title.",
        "tarefas": "Number of tasks linked to the qualification.",
        "compromissos": "Number of appointments linked to the qualification.",
    },
    "appointments": {
        "assunto": "Subject.",
        "titulo": "Title.",
        "dataInicio": "When the appointment starts (UTC).",
        "dataFim": "When the appointment ends (UTC).",
        "diaInteiro": "True for an all-day appointment.",
        "endereco": "Where it takes place.",
        "tipo_id": "Id of the appointment type.",
        "tipo_nome": "Name of the appointment type.",
        "participantes": "People taking part (JSON list); also the `__participantes` table.",
    },
    "tasks": {
        "titulo": "Title.",
        "tipo": "Task type code.",
        "prioridade": "Priority code.",
        "checklist_id": "Id of the checklist the task belongs to.",
        "checklist_nome": "Name of the checklist the task belongs to.",
    },
    "feedbacks": {
        "assunto": "Subject of the post.",
        "descricao": "Text of the post.",
        "importante": "True when marked important.",
        "automatica": "True for a post NectarCRM wrote itself.",
        "qtdeComentarios": "Number of comments on the post.",
        "autor_id": "Id of the user who wrote it.",
        "autor_nome": "Name of the user who wrote it.",
        "autor_login": "Login of the user who wrote it.",
        "contato_id": "Id of the contact it concerns.",
        "contato_nome": "Name of the contact it concerns.",
        "oportunidade_id": "Id of the deal it concerns.",
        "oportunidade_nome": "Name of the deal it concerns.",
        "tarefa_id": "Id of the task it concerns.",
        "tarefa_titulo": "Title of the task it concerns.",
        "anexos": "Attached files (JSON list); also the `__anexos` table.",
    },
    "products": {
        "valor": "Base price of the product (`valorBase` in the API).",
        "recorrencia": "How the price recurs: 0 once, 1 monthly, 2 yearly.",
        "categoria_id": "Id of the product category.",
        "categoria_nome": "Name of the product category.",
        "subcategoria_id": "Id of the product subcategory.",
        "subcategoria_nome": "Name of the product subcategory.",
        "moeda": "Currency code of the price (BRL or USD).",
        "contador": "Sequential number NectarCRM gives each product.",
        "comissao": "Commission on the product; 0 when none is allowed.",
        "isComissaoPorcentual": "True when the commission is a percentage, not an amount.",
        "descontoMaximo": "Largest discount allowed.",
        "isDescontoPorcentual": "True when the largest discount is a percentage, not an amount.",
        "permiteDesconto": "True when sellers may give a discount.",
        "possuiEstoque": "True when stock is tracked for the product.",
        "quantidadeEstoque": "Units in stock.",
        "valorEditavel": "True when sellers may change the base price on a deal.",
        "fracionario": "True when the product can be sold in fractions.",
        "editarProdutosDependentes": "True when dependent products may be removed from deals.",
        "produtos": "Products sold along with this one (JSON list).",
        "itensDeCusto": "Cost items of a price built by composition (JSON list).",
        "valorBaseComposto": "Base price of a product priced by composition.",
        "faixasPreco": "Price bands by quantity (JSON list).",
    },
    "product_subcategories": {
        "categoria_id": "Id of the category the subcategory belongs to.",
        "categoria_nome": "Name of the category the subcategory belongs to.",
    },
    "proposals": {
        "valorTotal": "Total value of the proposal.",
        "oportunidade_id": "Id of the deal the proposal is for.",
    },
    "pipelines": {"etapas": "The pipeline's stages (JSON list); also the `__etapas` table."},
    "custom_fields": {
        "tipo": "Kind of value the field holds.",
        "obrigatorio": "True when a value is required.",
        "secao": "Section of the form the field appears in.",
        "opcoes": "Choices of a list field (JSON list); also the `__opcoes` table.",
    },
}


def descriptions(stream: str, columns: dict[str, str]) -> dict[str, str]:
    """A description for each of `columns` that has one."""
    own = _BY_STREAM.get(stream, {})
    return {c: own.get(c) or _COMMON[c] for c in columns if c in own or c in _COMMON}


# Columns holding personal data, by class (see crm_assets.core.privacy.personal_data): what a
# privacy policy protects. Users' logins are their email addresses, a `reference` to
# someone other than the record's subject; free text and custom field values may
# hold a CPF or CNPJ (`document`).
_RESPONSIBLE = {"responsavel_login": ("email", "reference")}
PERSONAL: dict[str, dict[str, str | tuple[str, ...]]] = {
    "contacts": {"nome": "person_name", "cpf": "cpf", "cnpj": "cnpj", "emails": "email",
                 "telefones": "phone", "camposPersonalizados": "document", **_RESPONSIBLE},
    "opportunities": {"cliente_nome": "person_name", "camposPersonalizados": "document",
                      **_RESPONSIBLE},
    "qualifications": {"cliente_nome": "person_name", "camposPersonalizados": "document",
                       **_RESPONSIBLE},
    "appointments": {"cliente_nome": "person_name", "descricao": "document",
                     "participantes": ("email", "reference"), **_RESPONSIBLE},
    "tasks": {"cliente_nome": "person_name", "descricao": "document", **_RESPONSIBLE},
    "feedbacks": {"contato_nome": "person_name", "descricao": "document",
                  "autor_login": ("email", "reference")},
    "proposals": {"cliente_nome": "person_name", "descricao": "document", **_RESPONSIBLE},
}  # fmt: skip

# Where a record names a contact by id (see crm_assets.core.spec.streams.Link): erasing the
# contact's person keeps these records (a deal is not the person) and empties the link
# and the copy of the contact's name. `responsavel_*` and `autor_*` are users, not
# contacts. Opportunities and tasks are linked so what hangs on one that named the
# person (a feedback, a proposal) has their name replaced too.
_CLIENT = Link("contacts", "cliente_id", clears=("cliente_nome",))
LINKS: dict[str, tuple[Link, ...]] = {
    "opportunities": (_CLIENT,),
    "qualifications": (_CLIENT,),
    "appointments": (_CLIENT,),
    "tasks": (_CLIENT,),
    "proposals": (_CLIENT, Link("opportunities", "oportunidade_id")),
    "feedbacks": (
        Link("contacts", "contato_id", clears=("contato_nome",)),
        Link("opportunities", "oportunidade_id"),
        Link("tasks", "tarefa_id"),
    ),
}
