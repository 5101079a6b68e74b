"""NectarCRM streams: the 17 of docs/nectarcrm-api.md, as specs.

Each spec names its endpoint, the fields it declares (`columns.py`) and how it is
read (`client.py`: which lists take an update filter, which are read once per
status or type).
"""

from __future__ import annotations

from collections.abc import Sequence

from crm_assets.core import schema as t
from crm_assets.core.spec.flatten import list_items
from crm_assets.core.spec.streams import ChildSpec, SourceSpec, StreamSpec, SyncMode
from crm_assets.sources.nectarcrm import columns
from crm_assets.sources.nectarcrm.client import (
    MAX_PAGE_SIZE,
    OPPORTUNITY_STATUSES,
    PIPELINE_TYPES,
    listing,
)
from crm_assets.sources.nectarcrm.columns import (
    NAMED,
    PERSON,
    Field,
    Flattener,
    audit,
    copy,
    first_of,
    json_kept,
    named,
    reference,
    when,
)
from crm_assets.sources.nectarcrm.resource import NectarCrmResource


def stream(
    *,
    name: str,
    path: str,
    description: str,
    fields: Sequence[Field],
    mode: SyncMode = SyncMode.FULL_TABLE,
    children: Sequence[ChildSpec] = (),
    updated_filter: bool = False,
    split: tuple[str, Sequence[int]] | None = None,
    max_page_size: int = MAX_PAGE_SIZE,
) -> StreamSpec:
    """The spec of the list at `path`: its columns are `fields`, typed and described."""
    flattener = Flattener(fields)
    return StreamSpec(
        name=name,
        fetch=listing(
            path, updated_filter=updated_filter, split=split, max_page_size=max_page_size
        ),
        description=f"{description} (NectarCRM `/{path}`).",
        flatten=flattener,
        sync_mode=mode,
        children=tuple(children),
        columns=flattener.columns,
        column_descriptions=columns.descriptions(name, flattener.columns),
        personal=columns.PERSONAL.get(name, {}),
        links=columns.LINKS.get(name, ()),
    )


def simple(*, name: str, path: str, description: str) -> StreamSpec:
    """A list of bare `{id, nome}` records."""
    return stream(
        name=name,
        path=path,
        description=description,
        fields=[copy("id", t.INTEGER), copy("nome", t.TEXT)],
    )


# -- the streams ------------------------------------------------------------------

STREAMS: tuple[StreamSpec, ...] = (
    stream(
        name="contacts",
        path="contatos",
        description="People and companies",
        fields=[
            copy("id", t.INTEGER),
            copy("nome", t.TEXT),
            copy("razaoSocial", t.TEXT),
            copy("ativo", t.BOOLEAN),
            copy("constante", t.INTEGER),
            copy("cnpj", t.TEXT),
            copy("cpf", t.TEXT),
            named("categoria"),
            named("origem"),
            named("segmento"),
            reference("responsavel", PERSON),
            json_kept("emails"),
            json_kept("telefones"),
            json_kept("endereco", source="enderecos"),
            json_kept("camposPersonalizados"),
            *audit(),
        ],
        mode=SyncMode.INCREMENTAL,
        updated_filter=True,
        children=[
            ChildSpec(
                name="emails",
                extract=list_items("emails", "email"),
                columns={"email": t.TEXT},
                personal={"email": "email"},
            ),
            ChildSpec(
                name="telefones",
                extract=list_items("telefones", "telefone"),
                columns={"telefone": t.TEXT},
                personal={"telefone": "phone"},
            ),
            ChildSpec(name="enderecos", extract=list_items("enderecos")),
        ],
    ),
    stream(
        name="opportunities",
        path="oportunidades",
        description="Deals in every status: open, won, lost and discarded",
        fields=[
            copy("id", t.INTEGER),
            copy("codigo", t.TEXT),
            copy("nome", t.TEXT),
            when("dataLimite"),
            when("dataConclusao"),
            copy("etapa", t.INTEGER),
            copy("status", t.INTEGER),
            named("pipeline"),
            reference("funil_venda", NAMED, "funilVenda"),
            copy("probabilidade", t.INTEGER),
            copy("temperatura", t.TEXT),
            copy("valorAvulso", t.NUMBER),
            copy("valorMensal", t.NUMBER),
            copy("valorTotal", t.NUMBER),
            copy("valorTotalDescontos", t.NUMBER),
            reference("cliente", NAMED),
            reference("responsavel", PERSON),
            json_kept("produtos"),
            json_kept("camposPersonalizados"),
            *audit(),
        ],
        mode=SyncMode.INCREMENTAL,
        updated_filter=True,
        split=("status", OPPORTUNITY_STATUSES),
        children=[ChildSpec(name="produtos", extract=list_items("produtos"))],
    ),
    stream(
        name="qualifications",
        path="qualificacoes",
        description="Lead qualifications",
        fields=[
            copy("id", t.INTEGER),
            copy("codigo", t.TEXT),
            copy("nome", t.TEXT),
            reference("cliente", NAMED),
            copy("status", t.INTEGER),
            when("dataLimite"),
            copy("etapa", t.INTEGER),
            named("pipeline"),
            reference("funil_venda", NAMED, "funilVenda"),
            reference("responsavel", PERSON),
            copy("tarefas", t.INTEGER),
            copy("compromissos", t.INTEGER),
            json_kept("camposPersonalizados"),
            *audit(),
        ],
        mode=SyncMode.INCREMENTAL,
        updated_filter=True,
    ),
    stream(
        name="appointments",
        path="compromissos",
        description="Meetings and calls on the calendar",
        fields=[
            copy("id", t.INTEGER),
            copy("assunto", t.TEXT),
            copy("titulo", t.TEXT),
            copy("descricao", t.TEXT),
            when("dataInicio"),
            when("dataFim"),
            copy("diaInteiro", t.BOOLEAN),
            copy("endereco", t.TEXT),
            copy("status", t.INTEGER),
            reference("cliente", NAMED),
            reference("responsavel", PERSON),
            reference("tipo", NAMED),
            json_kept("participantes"),
            *audit(),
        ],
        children=[
            ChildSpec(
                name="participantes",
                extract=list_items("participantes"),
                personal={"email": ("email", "reference"), "nome": "person_name"},
            )
        ],
    ),
    stream(
        name="tasks",
        path="tarefas",
        description="To-dos with deadlines",
        fields=[
            copy("id", t.INTEGER),
            copy("titulo", t.TEXT),
            copy("descricao", t.TEXT),
            when("dataLimite"),
            copy("status", t.INTEGER),
            copy("tipo", t.INTEGER),
            copy("prioridade", t.INTEGER),
            reference("cliente", NAMED),
            reference("responsavel", PERSON),
            reference("checklist", NAMED),
            *audit(),
        ],
    ),
    stream(
        name="feedbacks",
        path="publicacao",
        description="Notes and feedback posts",
        fields=[
            copy("id", t.INTEGER),
            copy("assunto", t.TEXT),
            copy("descricao", t.TEXT),
            copy("importante", t.BOOLEAN),
            copy("automatica", t.BOOLEAN),
            copy("qtdeComentarios", t.INTEGER),
            reference("autor", PERSON),
            reference("contato", NAMED),
            reference("oportunidade", NAMED),
            reference("tarefa", {"id": t.INTEGER, "titulo": t.TEXT}),
            json_kept("anexos"),
            *audit(),
        ],
        children=[ChildSpec(name="anexos", extract=list_items("anexos"))],
        max_page_size=100,  # documented for /publicacao alone
    ),
    stream(
        name="products",
        path="produto",
        description="The product catalogue",
        fields=[
            copy("id", t.INTEGER),
            copy("nome", t.TEXT),
            copy("descricao", t.TEXT),
            copy("codigo", t.TEXT),
            first_of("valor", t.NUMBER, "valor", "valorBase"),
            copy("recorrencia", t.INTEGER),
            copy("ativo", t.BOOLEAN),
            reference("categoria", NAMED),
            # The vendor's own example spells it subCategoria; its schema, subcategoria.
            reference("subcategoria", NAMED, "subcategoria", "subCategoria"),
            # The product resource's schema documents these too.
            copy("moeda", t.TEXT),
            copy("contador", t.INTEGER),
            copy("comissao", t.NUMBER),
            copy("isComissaoPorcentual", t.BOOLEAN),
            copy("descontoMaximo", t.NUMBER),  # an amount when not a percentage
            copy("isDescontoPorcentual", t.BOOLEAN),
            copy("permiteDesconto", t.BOOLEAN),
            copy("possuiEstoque", t.BOOLEAN),
            copy("quantidadeEstoque", t.INTEGER),
            copy("valorEditavel", t.BOOLEAN),
            copy("fracionario", t.BOOLEAN),
            copy("editarProdutosDependentes", t.BOOLEAN),
            json_kept("produtos"),
            json_kept("itensDeCusto"),
            copy("valorBaseComposto", t.NUMBER),
            json_kept("faixasPreco"),
        ],
    ),
    stream(
        name="product_categories",
        path="produtoCategoria",
        description="Product categories",
        fields=[
            copy("id", t.INTEGER),
            copy("nome", t.TEXT),
            copy("descricao", t.TEXT),
            copy("ativo", t.BOOLEAN),
        ],
        children=[ChildSpec(name="subcategorias", extract=list_items("subcategorias"))],
    ),
    stream(
        name="product_subcategories",
        path="produtoSubCategoria",
        description="Product subcategories",
        fields=[
            copy("id", t.INTEGER),
            copy("nome", t.TEXT),
            copy("descricao", t.TEXT),
            copy("ativo", t.BOOLEAN),
            reference("categoria", NAMED),
        ],
    ),
    stream(
        name="price_tables",
        path="tabelaPreco",
        description="Price tables",
        fields=[
            copy("id", t.INTEGER),
            copy("nome", t.TEXT),
            copy("descricao", t.TEXT),
            copy("ativo", t.BOOLEAN),
        ],
        children=[ChildSpec(name="produtos", extract=list_items("produtos"))],
    ),
    stream(
        name="proposals",
        path="proposta",
        description="Commercial proposals",
        fields=[
            copy("id", t.INTEGER),
            copy("nome", t.TEXT),
            copy("descricao", t.TEXT),
            copy("codigo", t.TEXT),
            copy("status", t.INTEGER),
            copy("valorTotal", t.NUMBER),
            reference("cliente", NAMED),
            reference("oportunidade", {"id": t.INTEGER}),
            reference("responsavel", PERSON),
            *audit(),
        ],
    ),
    stream(
        name="pipelines",
        path="pipeline",
        description="Sales and qualification pipelines with their stages",
        fields=[
            copy("id", t.INTEGER),
            copy("nome", t.TEXT),
            copy("ativo", t.BOOLEAN),
            json_kept("etapas", source="sequencias"),
        ],
        split=("type", PIPELINE_TYPES),
        children=[ChildSpec(name="etapas", extract=list_items("sequencias"), key=("id",))],
    ),
    stream(
        name="custom_fields",
        path="campoPersonalizado",
        description="Custom field definitions",
        fields=[
            copy("id", t.INTEGER),
            copy("nome", t.TEXT),
            copy("tipo", t.TEXT),
            copy("obrigatorio", t.BOOLEAN),
            copy("ativo", t.BOOLEAN),
            named("secao"),
            json_kept("opcoes"),
        ],
        children=[
            ChildSpec(
                name="opcoes", extract=list_items("opcoes", "opcao"), columns={"opcao": t.TEXT}
            )
        ],
    ),
    simple(name="tags", path="lista", description="Tags (lists)"),
    simple(name="sources", path="origem", description="Lead sources"),
    simple(name="segments", path="segmento", description="Market segments"),
    simple(name="categories", path="categoria", description="Contact categories"),
)

SOURCE = SourceSpec(
    name="nectarcrm",
    title="NectarCRM",
    streams=STREAMS,
    resource=NectarCrmResource,
)
