"""The fixed vocabulary of the seeded NectarCRM data: sizes, words, codes, time formats.

Default sizes and first ids per resource; the pipelines, custom fields and word
pools records are drawn from; the vendor's timestamps (São Paulo time with its
offset, or UTC with `Z`) and the São Paulo day its date filters compare; and pure
helpers that turn a number into a unique name, a slug, a product name or a
CPF/CNPJ with valid check digits.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
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
    (4, "Vendas 2024", 0, ("Prospecção", "Apresentação", "Proposta", "Fechamento")),
)  # fmt: skip
# Retired pipelines (`ativo: false`): listed still, and their opportunities kept.
INACTIVE_PIPELINES = {4}
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


def make_stamper(utc: bool) -> Callable[[int], str]:
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


def nth(names: Sequence[str], n: int) -> str:
    """The n-th name of a pool, numbered once the pool runs out, so names stay unique."""
    base = names[n % len(names)]
    return base if n < len(names) else f"{base} {n // len(names) + 1}"


@functools.cache
def slug(text: str, space: str = "") -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    kept = "".join(c if c.isalnum() else " " for c in ascii_text.lower())
    return space.join(kept.split())


def product_name(n: int) -> str:
    kinds, editions = len(PRODUCT_KINDS), len(PRODUCT_EDITIONS)
    name = f"{PRODUCT_KINDS[n % kinds]} {PRODUCT_EDITIONS[n // kinds % editions]}"
    return name if n < kinds * editions else f"{name} v{n // (kinds * editions) + 1}"


def cpf(number: int) -> str:
    """A CPF with valid check digits (the public modulo-11 rule)."""
    text = f"{number:09d}"
    digits = list(map(int, text))
    first = sum(map(mul, digits, range(10, 1, -1))) * 10 % 11 % 10
    second = (sum(map(mul, digits, range(11, 2, -1))) + 2 * first) * 10 % 11 % 10
    return f"{text[:3]}.{text[3:6]}.{text[6:]}-{first}{second}"


def cnpj(number: int) -> str:
    """A head-office CNPJ (`/0001`) with valid check digits."""
    text = f"{number:08d}0001"
    digits = list(map(int, text))
    first = sum(map(mul, digits, (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2))) % 11
    first = 0 if first < 2 else 11 - first
    second = (sum(map(mul, digits, (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3))) + 2 * first) % 11
    second = 0 if second < 2 else 11 - second
    return f"{text[:2]}.{text[2:5]}.{text[5:8]}/{text[8:]}-{first}{second}"
