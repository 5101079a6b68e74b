"""NectarCRM columns: every documented field declared with its type and explained."""

from __future__ import annotations

import pytest

from crm_assets.core import schema as t
from crm_assets.core.runtime.assets import FULL_SYNC_TAG
from crm_assets.sources.nectarcrm.streams import STREAMS

SPECS = {s.name: s for s in STREAMS}
AUDIT = {"dataCriacao": t.TIMESTAMP, "dataAtualizacao": t.TIMESTAMP}
OWNER = {"responsavel_id": t.INTEGER, "responsavel_nome": t.TEXT, "responsavel_login": t.TEXT}
CLIENT = {"cliente_id": t.INTEGER, "cliente_nome": t.TEXT}
FUNNEL = {"pipeline": t.TEXT, "funil_venda_id": t.INTEGER, "funil_venda_nome": t.TEXT}
NAMED = {"id": t.INTEGER, "nome": t.TEXT}
CATALOGUE = {**NAMED, "descricao": t.TEXT, "ativo": t.BOOLEAN}
# The documented fields of each stream with their documented types (integer, string as
# text, number, boolean, datetime as timestamp, arrays and JSON strings as JSON).
DOCUMENTED = {
    "contacts": {
        **NAMED, "razaoSocial": t.TEXT, "ativo": t.BOOLEAN, "constante": t.INTEGER,
        "cnpj": t.TEXT, "cpf": t.TEXT, "categoria": t.TEXT, "origem": t.TEXT,
        "segmento": t.TEXT, **OWNER, "emails": t.JSON, "telefones": t.JSON, "endereco": t.JSON,
        "camposPersonalizados": t.JSON, **AUDIT,
    },
    "opportunities": {
        **NAMED, "codigo": t.TEXT, "dataLimite": t.TIMESTAMP, "dataConclusao": t.TIMESTAMP,
        "etapa": t.INTEGER, "status": t.INTEGER, **FUNNEL, "probabilidade": t.INTEGER,
        "temperatura": t.TEXT, "valorAvulso": t.NUMBER, "valorMensal": t.NUMBER,
        "valorTotal": t.NUMBER, "valorTotalDescontos": t.NUMBER, **CLIENT, **OWNER,
        "produtos": t.JSON, "camposPersonalizados": t.JSON, **AUDIT,
    },
    "qualifications": {
        **NAMED, "codigo": t.TEXT, **CLIENT, "status": t.INTEGER, "dataLimite": t.TIMESTAMP,
        "etapa": t.INTEGER, **FUNNEL, **OWNER, "tarefas": t.INTEGER, "compromissos": t.INTEGER,
        "camposPersonalizados": t.JSON, **AUDIT,
    },
    "appointments": {
        "id": t.INTEGER, "assunto": t.TEXT, "titulo": t.TEXT, "descricao": t.TEXT,
        "dataInicio": t.TIMESTAMP, "dataFim": t.TIMESTAMP, "diaInteiro": t.BOOLEAN,
        "endereco": t.TEXT, "status": t.INTEGER, **CLIENT, **OWNER, "tipo_id": t.INTEGER,
        "tipo_nome": t.TEXT, "participantes": t.JSON, **AUDIT,
    },
    "tasks": {
        "id": t.INTEGER, "titulo": t.TEXT, "descricao": t.TEXT, "dataLimite": t.TIMESTAMP,
        "status": t.INTEGER, "tipo": t.INTEGER, "prioridade": t.INTEGER, **CLIENT, **OWNER,
        "checklist_id": t.INTEGER, "checklist_nome": t.TEXT, **AUDIT,
    },
    "feedbacks": {
        "id": t.INTEGER, "assunto": t.TEXT, "descricao": t.TEXT, "importante": t.BOOLEAN,
        "automatica": t.BOOLEAN, "qtdeComentarios": t.INTEGER, "autor_id": t.INTEGER,
        "autor_nome": t.TEXT, "autor_login": t.TEXT, "contato_id": t.INTEGER,
        "contato_nome": t.TEXT, "oportunidade_id": t.INTEGER, "oportunidade_nome": t.TEXT,
        "tarefa_id": t.INTEGER, "tarefa_titulo": t.TEXT, "anexos": t.JSON, **AUDIT,
    },
    "products": {
        **CATALOGUE, "codigo": t.TEXT, "valor": t.NUMBER, "recorrencia": t.INTEGER,
        "categoria_id": t.INTEGER, "categoria_nome": t.TEXT, "subcategoria_id": t.INTEGER,
        "subcategoria_nome": t.TEXT,
        # ...and what the product resource's own schema adds.
        "comissao": t.NUMBER, "contador": t.INTEGER, "descontoMaximo": t.NUMBER,
        "editarProdutosDependentes": t.BOOLEAN, "isComissaoPorcentual": t.BOOLEAN,
        "isDescontoPorcentual": t.BOOLEAN, "moeda": t.TEXT, "possuiEstoque": t.BOOLEAN,
        "produtos": t.JSON, "quantidadeEstoque": t.INTEGER, "valorEditavel": t.BOOLEAN,
        "fracionario": t.BOOLEAN, "itensDeCusto": t.JSON, "faixasPreco": t.JSON,
        "valorBaseComposto": t.NUMBER,
    },
    "product_categories": CATALOGUE,
    "product_subcategories": {**CATALOGUE, "categoria_id": t.INTEGER, "categoria_nome": t.TEXT},
    "price_tables": CATALOGUE,
    "proposals": {
        **NAMED, "descricao": t.TEXT, "codigo": t.TEXT, "status": t.INTEGER,
        "valorTotal": t.NUMBER, **CLIENT, "oportunidade_id": t.INTEGER, **OWNER, **AUDIT,
    },
    "pipelines": {**NAMED, "ativo": t.BOOLEAN, "etapas": t.JSON},
    "custom_fields": {
        **NAMED, "tipo": t.TEXT, "obrigatorio": t.BOOLEAN, "ativo": t.BOOLEAN,
        "secao": t.TEXT, "opcoes": t.JSON,
    },
    "tags": NAMED,
    "sources": NAMED,
    "segments": NAMED,
    "categories": NAMED,
}  # fmt: skip


def test_every_documented_field_has_its_documented_type_and_a_description():
    assert set(DOCUMENTED) == set(SPECS)
    for stream, documented in DOCUMENTED.items():
        spec = SPECS[stream]
        for field, kind in documented.items():
            assert spec.columns.get(field) == kind, (stream, field)
            assert spec.column_descriptions.get(field), (stream, field)
        assert set(spec.column_descriptions) == set(spec.columns), stream


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_every_declared_column_keeps_its_type_through_a_full_sync(nectar, warehouse):
    # A declaration that disagreed with what the API sends would widen to text here.
    result = nectar.run(warehouse, tags={FULL_SYNC_TAG: "true"})
    for spec in STREAMS:
        stored = dict(warehouse.columns(f"nectarcrm_{spec.name}"))
        for column, kind in spec.columns.items():
            assert stored[column] == t.storage_type(kind), (spec.name, column)
    schema = next(
        e.materialization.metadata["dagster/column_schema"].value
        for e in result.get_asset_materialization_events()
        if e.asset_key.path[-1] == "products"
    )
    described = {c.name: c.description for c in schema.columns}
    assert "valorBase" in described["valor"] and described["moeda"]
