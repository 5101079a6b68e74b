"""NectarCRM streams: the 17 of docs/nectarcrm-api.md, as specs, then their fetching.

Vendor quirks (docs/nectarcrm-api.md):
- Lists are bare JSON arrays paged with `page` (1-based); the end is an empty page.
  `displayLength` asks for a page size up to the endpoint's documented maximum (200;
  100 for `/publicacao`), but it is a request, not a promise (the docs also say 50),
  so a short page never ends the loop.
- `/oportunidades` without `status` serves only open deals (status 1), and
  `/pipeline` without `type` only sales pipelines: both are read once per value.
- Update filters take `dd/MM/yyyy` dates, no time, in São Paulo local days.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from crm_assets.core import schema as t
from crm_assets.core.spec.flatten import (
    Flattener,
    copy,
    first_of,
    json_kept,
    list_items,
    named,
    reference,
    timestamp,
)
from crm_assets.core.spec.streams import (
    ChildSpec,
    Fetch,
    Record,
    SourceSpec,
    StreamSpec,
    SyncMode,
    Window,
)
from crm_assets.core.sync.pagination import numbered_pages
from crm_assets.sources.nectarcrm import columns
from crm_assets.sources.nectarcrm.resource import NectarCrmResource

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
MAX_PAGE_SIZE = 200  # displayLength's documented maximum; page=-1 also serves 200
OPPORTUNITY_STATUSES = (1, 2, 3, 4)  # open, won, lost, discarded
PIPELINE_TYPES = (0, 1)  # sales, qualification


def listing(
    path: str,
    *,
    updated_filter: bool = False,
    split: tuple[str, Sequence[int]] | None = None,
    params: Mapping[str, Any] | None = None,
    max_page_size: int = MAX_PAGE_SIZE,
) -> Fetch:
    """Fetch every page of `path`, once per value of `split` when the API hides some.

    Pages are asked for in the resource's page size, capped at the endpoint's maximum.
    """

    def fetch(client: Any, window: Window) -> Iterator[list[Record]]:
        page_size = min(client.config.page_size, max_page_size)
        query = dict(params or {})
        if updated_filter and not window.is_full:
            query.update(update_filter(window))
        name, values = split or ("", [None])
        for value in values:
            part = {**query, name: value} if name else query
            yield from numbered_pages(
                lambda page, part=part: client.get_json(
                    path, {**part, "page": page, "displayLength": page_size}
                ),
                what=f"NectarCRM /{path}" + (f" ({name}={value})" if name else ""),
                ahead=client.config.pages_ahead,
            )

    return fetch


def update_filter(window: Window) -> dict[str, str]:
    """Whole days covering the UTC window, in São Paulo time and in UTC.

    The filter is date-only and the vendor's day is São Paulo's, so the window is
    widened to whole days on both sides; upserts make the overlap harmless.
    """
    last_instant = window.end - timedelta(microseconds=1)
    first = min(window.start.astimezone(SAO_PAULO).date(), window.start.date())
    last = max(last_instant.astimezone(SAO_PAULO).date(), last_instant.date())
    return {
        "dataInicioAtualizacao": first.strftime("%d/%m/%Y"),
        "dataFimAtualizacao": last.strftime("%d/%m/%Y"),
    }


# -- flattening helpers ---------------------------------------------------------

PERSON = {"id": t.INTEGER, "nome": t.TEXT, "login": t.TEXT}
NAMED = {"id": t.INTEGER, "nome": t.TEXT}


def when(name: str):
    return timestamp(name, local=SAO_PAULO)


def audit():
    return [when("dataCriacao"), when("dataAtualizacao")]


def stream(name, path, description, fields, *, mode=SyncMode.FULL_TABLE, children=(), **fetch):
    flattener = Flattener(fields)
    return StreamSpec(
        name=name,
        fetch=listing(path, **fetch),
        description=f"{description} (NectarCRM `/{path}`).",
        flatten=flattener,
        sync_mode=mode,
        children=tuple(children),
        columns=flattener.columns,
        column_descriptions=columns.descriptions(name, flattener.columns),
        personal=columns.PERSONAL.get(name, {}),
        links=columns.LINKS.get(name, ()),
    )


def simple(name, path, description, extra=()):
    return stream(name, path, description, [copy("id", t.INTEGER), copy("nome", t.TEXT), *extra])


# -- the streams ------------------------------------------------------------------

STREAMS: tuple[StreamSpec, ...] = (
    stream(
        "contacts",
        "contatos",
        "People and companies",
        [
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
                "emails",
                list_items("emails", "email"),
                columns={"email": t.TEXT},
                personal={"email": "email"},
            ),
            ChildSpec(
                "telefones",
                list_items("telefones", "telefone"),
                columns={"telefone": t.TEXT},
                personal={"telefone": "phone"},
            ),
            ChildSpec("enderecos", list_items("enderecos")),
        ],
    ),
    stream(
        "opportunities",
        "oportunidades",
        "Deals in every status: open, won, lost and discarded",
        [
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
        children=[ChildSpec("produtos", list_items("produtos"))],
    ),
    stream(
        "qualifications",
        "qualificacoes",
        "Lead qualifications",
        [
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
        "appointments",
        "compromissos",
        "Meetings and calls on the calendar",
        [
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
                "participantes",
                list_items("participantes"),
                personal={"email": ("email", "reference"), "nome": "person_name"},
            )
        ],
    ),
    stream(
        "tasks",
        "tarefas",
        "To-dos with deadlines",
        [
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
        "feedbacks",
        "publicacao",
        "Notes and feedback posts",
        [
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
        children=[ChildSpec("anexos", list_items("anexos"))],
        max_page_size=100,  # documented for /publicacao alone
    ),
    stream(
        "products",
        "produto",
        "The product catalogue",
        [
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
        "product_categories",
        "produtoCategoria",
        "Product categories",
        [
            copy("id", t.INTEGER),
            copy("nome", t.TEXT),
            copy("descricao", t.TEXT),
            copy("ativo", t.BOOLEAN),
        ],
        children=[ChildSpec("subcategorias", list_items("subcategorias"))],
    ),
    stream(
        "product_subcategories",
        "produtoSubCategoria",
        "Product subcategories",
        [
            copy("id", t.INTEGER),
            copy("nome", t.TEXT),
            copy("descricao", t.TEXT),
            copy("ativo", t.BOOLEAN),
            reference("categoria", NAMED),
        ],
    ),
    stream(
        "price_tables",
        "tabelaPreco",
        "Price tables",
        [
            copy("id", t.INTEGER),
            copy("nome", t.TEXT),
            copy("descricao", t.TEXT),
            copy("ativo", t.BOOLEAN),
        ],
        children=[ChildSpec("produtos", list_items("produtos"))],
    ),
    stream(
        "proposals",
        "proposta",
        "Commercial proposals",
        [
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
        "pipelines",
        "pipeline",
        "Sales and qualification pipelines with their stages",
        [
            copy("id", t.INTEGER),
            copy("nome", t.TEXT),
            copy("ativo", t.BOOLEAN),
            json_kept("etapas", source="sequencias"),
        ],
        split=("type", PIPELINE_TYPES),
        children=[ChildSpec("etapas", list_items("sequencias"), key=("id",))],
    ),
    stream(
        "custom_fields",
        "campoPersonalizado",
        "Custom field definitions",
        [
            copy("id", t.INTEGER),
            copy("nome", t.TEXT),
            copy("tipo", t.TEXT),
            copy("obrigatorio", t.BOOLEAN),
            copy("ativo", t.BOOLEAN),
            named("secao"),
            json_kept("opcoes"),
        ],
        children=[ChildSpec("opcoes", list_items("opcoes", "opcao"), columns={"opcao": t.TEXT})],
    ),
    simple("tags", "lista", "Tags (lists)"),
    simple("sources", "origem", "Lead sources"),
    simple("segments", "segmento", "Market segments"),
    simple("categories", "categoria", "Contact categories"),
)

SOURCE = SourceSpec(
    name="nectarcrm",
    title="NectarCRM",
    streams=STREAMS,
    resource=NectarCrmResource,
)
