"""The NectarCRM emulator's wire behaviour (docs/nectarcrm-api.md), over a real socket."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from crm_assets.core.emulation import WSGIAdapter, serve
from crm_assets.sources.nectarcrm.emulator import NectarCrmEmulator

TOKEN = "emulator-test-token"
ANCHOR = date(2026, 11, 20)
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
SIZES = {
    "contatos": 230, "oportunidades": 120, "qualificacoes": 30, "compromissos": 20,
    "tarefas": 20, "publicacao": 130, "proposta": 20, "produto": 15,
}  # fmt: skip
DATED = ("contatos", "oportunidades", "qualificacoes", "compromissos", "tarefas",
         "publicacao", "proposta")  # fmt: skip
EVERY_RESOURCE = DATED + (
    "produto", "produtoCategoria", "produtoSubCategoria", "tabelaPreco", "pipeline",
    "campoPersonalizado", "lista", "origem", "segmento", "categoria", "usuario",
)  # fmt: skip


@pytest.fixture
def emulator() -> NectarCrmEmulator:
    return NectarCrmEmulator(token=TOKEN, anchor=ANCHOR, sizes=SIZES)


@pytest.fixture
def api(emulator):
    """GET a resource path with the token in the header; returns the response."""
    with serve(emulator) as url:

        def get(path: str, token: str | None = TOKEN, **params) -> requests.Response:
            headers = {"Access-Token": token} if token else {}
            return requests.get(f"{url}/crm/api/1/{path}", params=params, headers=headers)

        yield get


def ids(response: requests.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [r["id"] for r in response.json()]


def sp_day(stamp: str) -> date:
    return datetime.fromisoformat(stamp).astimezone(SAO_PAULO).date()


# -- auth and errors ----------------------------------------------------------------


def test_the_token_works_in_the_header_and_in_the_query(api, emulator):
    by_header = api("lista")
    by_query = api("lista", token=None, api_token=TOKEN)
    assert by_header.status_code == by_query.status_code == 200
    assert by_header.headers["Content-Type"] == "application/json; charset=utf-8"
    assert by_header.json() == by_query.json() == emulator.records("lista")
    assert len(by_header.json()) == 10


@pytest.mark.parametrize("token", [None, "wrong"])
def test_a_missing_or_wrong_token_is_a_plain_invalid_token(api, token):
    response = api("contatos", token=token)
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "text/json"
    assert response.text == "Invalid token"


@pytest.mark.parametrize(
    "path, params, name",
    [
        ("contatos", {"dataInicioAtualizacao": "2026-11-20"}, "dataInicioAtualizacao"),
        ("contatos", {"dataFimAtualizacao": "31/02/2026"}, "dataFimAtualizacao"),
        ("contatos", {"dataInicio": "20/11/26"}, "dataInicio"),
        ("contatos", {"page": "two"}, "page"),
        ("contatos", {"page": "0"}, "page"),
        ("contatos", {"displayLength": "lots"}, "displayLength"),
        ("oportunidades", {"status": "open"}, "status"),
        ("oportunidades", {"clienteId": "x"}, "clienteId"),
        ("pipeline", {"type": "sales"}, "type"),
        ("tabelaPreco", {"active": "yes"}, "active"),
    ],
)
def test_a_bad_parameter_is_a_401_naming_it(api, path, params, name):
    response = api(path, **params)
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("text/json")
    assert response.json() == {"erro": f"Parâmetro inválido: {name}"}


def test_an_unknown_path_is_a_404(api):
    for path in ("contacts", "contatos/1/2/3", "contatos/999999999"):
        response = api(path)
        assert response.status_code == 404, path
        assert response.json() == {"erro": "Recurso não encontrado"}


# -- lists and paging ------------------------------------------------------------------


def test_pages_are_capped_sorted_and_end_with_an_empty_array(api, emulator):
    everything = [r["id"] for r in emulator.records("contatos")]
    assert len(everything) == 230 and everything == sorted(everything)
    pages = [ids(api("contatos", page=n, displayLength=500)) for n in range(1, 4)]
    assert [len(p) for p in pages] == [200, 30, 0]  # displayLength's documented maximum
    assert [i for page in pages for i in page] == everything
    assert ids(api("contatos")) == everything[:50]  # page 1, 50 by default
    assert ids(api("contatos", page=2, displayLength=20)) == everything[20:40]
    assert ids(api("contatos", page=-1)) == everything[:200]
    assert api("contatos", page=99).json() == []


def test_publicacao_pages_hold_up_to_100(api, emulator):
    assert len(ids(api("publicacao", displayLength=500))) == 100
    assert len(ids(api("publicacao", page=2, displayLength=500))) == 30


def test_max_page_size_can_serve_fewer_than_documented():
    # Some of the vendor's pages say 50 is the most displayLength gets.
    emulator = NectarCrmEmulator(token=TOKEN, anchor=ANCHOR, sizes=SIZES, max_page_size=50)
    with serve(emulator) as url:
        got = requests.get(f"{url}/crm/api/1/contatos", params={"displayLength": 500,
                                                                "api_token": TOKEN})  # fmt: skip
    assert len(got.json()) == 50


def test_opportunities_without_status_are_only_the_open_ones(api, emulator):
    every = emulator.records("oportunidades")
    by_status = {s: [r["id"] for r in every if r["status"] == s] for s in (1, 2, 3, 4)}
    # 50% open, 20% won, 20% lost, 10% discarded.
    assert {s: len(v) for s, v in by_status.items()} == {1: 60, 2: 24, 3: 24, 4: 12}
    assert ids(api("oportunidades", page=-1)) == by_status[1]
    for status in (1, 2, 3, 4):
        assert ids(api("oportunidades", status=status, page=-1)) == by_status[status]
    assert api("oportunidades", status=9).json() == []


def test_opportunity_filters_by_funnel_and_client(api, emulator):
    every = emulator.records("oportunidades")
    funnel_two = [r["id"] for r in every if r["funilVenda"]["id"] == 2 and r["status"] == 3]
    assert funnel_two
    assert ids(api("oportunidades", status=3, pipelineId=2, page=-1)) == funnel_two
    client = every[0]["cliente"]["id"]
    expected = [r["id"] for r in every if r["cliente"]["id"] == client and r["status"] == 1]
    assert ids(api("oportunidades", clienteId=client, page=-1)) == expected


def test_pipeline_without_type_is_sales_only_and_stages_cover_every_etapa(api, emulator):
    sales = api("pipeline").json()
    # The retired pipeline (`ativo: false`) is listed too: no filter hides it.
    assert [(p["id"], p["nome"], p["tipo"], p["ativo"]) for p in sales] == [
        (1, "Vendas", 0, True),
        (2, "Parcerias", 0, True),
        (4, "Vendas 2024", 0, False),
    ]
    qualification = api("pipeline", type=1).json()
    assert [(p["id"], p["tipo"]) for p in qualification] == [(3, 1)]
    stages = {p["id"]: len(p["sequencias"]) for p in sales + qualification}
    for resource in ("oportunidades", "qualificacoes"):
        for record in emulator.records(resource):
            assert 1 <= record["etapa"] <= stages[record["funilVenda"]["id"]]
            assert record["pipeline"] == record["funilVenda"]["nome"]


def test_price_tables_filter_on_active(api):
    every = api("tabelaPreco").json()
    assert [t["ativo"] for t in every] == [True, True, True, True, False]
    assert ids(api("tabelaPreco", active="false")) == [every[-1]["id"]]
    assert ids(api("tabelaPreco", active="true")) == [t["id"] for t in every[:-1]]


def test_custom_field_aliases_and_attribute_projection(api):
    fields = api("campoPersonalizado").json()
    for alias in ("camposPersonalizados", "customField", "customFields"):
        assert api(alias).json() == fields
    assert api("lista", attribute=["id", "nome"]).json()[0].keys() == {"id", "nome"}


# -- dates -----------------------------------------------------------------------


def test_date_filters_use_the_sao_paulo_calendar_day(api, emulator):
    target = emulator.records("contatos")[3]["id"]
    # 23:30 in São Paulo on the 20th is 02:30 UTC on the 21st.
    emulator.touch("contatos", target, datetime(2026, 11, 21, 2, 30, tzinfo=UTC))
    touched = next(r for r in api("contatos", page=-1).json() if r["id"] == target)
    assert touched["dataAtualizacao"] == "2026-11-20T23:30:00-03:00"

    def between(first: str, last: str) -> list[int]:
        pages = [api("contatos", page=n, dataInicioAtualizacao=first, dataFimAtualizacao=last)
                 for n in range(1, 7)]  # fmt: skip
        return [i for page in pages for i in ids(page)]

    on_20th = between("20/11/2026", "20/11/2026")
    assert target in on_20th and target not in between("21/11/2026", "21/11/2026")
    expected = [r["id"] for r in emulator.records("contatos")
                if sp_day(r["dataAtualizacao"]) == ANCHOR]  # fmt: skip
    assert on_20th == expected
    week = between("14/11/2026", "20/11/2026")
    first_day = ANCHOR - timedelta(days=6)
    assert week == [r["id"] for r in emulator.records("contatos")
                    if first_day <= sp_day(r["dataAtualizacao"]) <= ANCHOR]  # fmt: skip
    assert 0 < len(on_20th) < len(week) < 230
    created = ids(api("contatos", page=-1, dataInicio="01/01/2026"))
    recent = [r["id"] for r in emulator.records("contatos")
              if sp_day(r["dataCriacao"]) >= date(2026, 1, 1)]  # fmt: skip
    assert created == recent[:200] and 0 < len(recent) < 230


def test_timestamps_carry_an_offset_and_every_seventh_is_utc(emulator):
    for resource in DATED:
        stamps = [r["dataAtualizacao"] for r in emulator.records(resource)]
        assert [s.endswith("Z") for s in stamps[:14]] == [False] * 6 + [True] + [False] * 6 + [True]
        assert all(s.endswith(("Z", "-03:00")) and len(s) in (20, 25) for s in stamps)


def test_updates_span_120_days_and_always_touch_the_anchor_day():
    tiny = NectarCrmEmulator(token=TOKEN, anchor=ANCHOR, sizes=dict.fromkeys(DATED, 20))
    for resource in DATED:
        records = tiny.records(resource)
        assert len(records) == 20
        updated = [datetime.fromisoformat(r["dataAtualizacao"]) for r in records]
        assert any(u.astimezone(UTC).date() == ANCHOR for u in updated), resource
        assert all(ANCHOR - timedelta(days=119) <= u.astimezone(UTC).date() <= ANCHOR
                   for u in updated)  # fmt: skip
        assert all(datetime.fromisoformat(r["dataCriacao"]) <= u
                   for r, u in zip(records, updated, strict=True))  # fmt: skip


# -- data ------------------------------------------------------------------------


def test_the_same_arguments_give_the_same_data():
    first = NectarCrmEmulator(anchor=ANCHOR, sizes=SIZES, seed=11)
    again = NectarCrmEmulator(anchor=ANCHOR, sizes=SIZES, seed=11)
    other = NectarCrmEmulator(anchor=ANCHOR, sizes=SIZES, seed=12)
    for resource in EVERY_RESOURCE:
        assert first.records(resource) == again.records(resource), resource
    assert first.records("contatos") != other.records("contatos")


def test_sizes_and_scale():
    scaled = NectarCrmEmulator(anchor=ANCHOR, scale=0.01, sizes={"usuario": 3})
    assert len(scaled.records("contatos")) == 20
    assert len(scaled.records("oportunidades")) == 30
    assert len(scaled.records("produto")) == 120  # reference data does not scale
    assert len(scaled.records("usuario")) == 3
    with pytest.raises(ValueError, match="contacts"):
        NectarCrmEmulator(sizes={"contacts": 5})


def test_records_reference_each_other(emulator):
    contacts = {r["id"]: r for r in emulator.records("contatos")}
    products = {r["id"] for r in emulator.records("produto")}
    users = {r["id"]: r for r in emulator.records("usuario")}
    fields = {f["nome"]: f for f in emulator.records("campoPersonalizado")}
    for deal in emulator.records("oportunidades"):
        assert contacts[deal["cliente"]["id"]]["nome"] == deal["cliente"]["nome"]
        assert users[deal["responsavel"]["id"]]["login"] == deal["responsavel"]["login"]
        assert {line["refId"] for line in deal["produtos"]} <= products
        assert deal["valorTotal"] == pytest.approx(sum(li["valorTotal"] for li in deal["produtos"]))
        assert {fields[name]["relacionado"] for name in deal["camposPersonalizados"]} == {
            "Oportunidade"
        }
    names = {r["nome"] for r in emulator.records("origem")}
    assert {c["origem"] for c in contacts.values()} <= names


def test_record_shapes(emulator):
    contact = emulator.records("contatos")[0]
    assert list(contact) == [
        "id", "nome", "razaoSocial", "ativo", "constante", "cnpj", "cpf", "categoria", "origem",
        "segmento", "responsavel", "emails", "telefones", "enderecos", "camposPersonalizados",
        "dataCriacao", "dataAtualizacao",
    ]  # fmt: skip
    product = emulator.records("produto")[0]
    assert {"valorBase", "moeda", "contador", "subCategoria"} <= product.keys()
    assert "subcategoria" not in product
    subcategory = emulator.records("produtoSubCategoria")[0]
    category = next(c for c in emulator.records("produtoCategoria")
                    if c["id"] == subcategory["categoria"]["id"])  # fmt: skip
    assert subcategory["id"] in {s["id"] for s in category["subcategorias"]}


def test_extra_contact_fields_appear_on_every_contact():
    hostile = {'we"ird; name': "x", "Robert'); DROP TABLE x;--": 7}
    emulator = NectarCrmEmulator(token=TOKEN, anchor=ANCHOR, sizes={"contatos": 5},
                                 extra_contact_fields=hostile)  # fmt: skip
    with serve(emulator) as url:
        contacts = requests.get(f"{url}/crm/api/1/contatos", params={"api_token": TOKEN}).json()
    assert len(contacts) == 5
    assert all(c['we"ird; name'] == "x" and c["Robert'); DROP TABLE x;--"] == 7 for c in contacts)


# -- admin and fault knobs -----------------------------------------------------------


def test_a_deleted_record_is_simply_gone(api, emulator):
    gone = emulator.records("produto")[3]["id"]
    emulator.delete("produto", gone)
    assert gone not in ids(api("produto", page=-1))
    assert len(emulator.records("produto")) == 14
    assert api(f"produto/{gone}").status_code == 404


def test_touch_moves_a_record_into_todays_filter(api, emulator):
    oldest = min(emulator.records("contatos"), key=lambda r: r["dataAtualizacao"])
    assert oldest["id"] not in ids(api("contatos", page=-1, dataInicioAtualizacao="20/11/2026"))
    emulator.touch("contatos", oldest["id"], datetime(2026, 11, 20, 15, 0, tzinfo=UTC))
    assert oldest["id"] in ids(api("contatos", page=-1, dataInicioAtualizacao="20/11/2026"))
    single = api(f"contatos/{oldest['id']}").json()
    assert datetime.fromisoformat(single["dataAtualizacao"]) == datetime(
        2026, 11, 20, 15, tzinfo=UTC
    )


def test_inject_429_with_retry_after_then_success(api, emulator):
    emulator.inject(429, retry_after=2)
    limited = api("contatos")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
    assert len(ids(api("contatos"))) == 50
    assert [r.status for r in emulator.requests] == [429, 200]


def test_malform_serves_a_page_once_as_broken_json(api, emulator):
    emulator.malform("contatos", 2)
    good_first = api("contatos", page=1)
    broken = api("contatos", page=2)
    assert good_first.status_code == broken.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken.text)
    again = api("contatos", page=2)
    assert ids(again) == [r["id"] for r in emulator.records("contatos")[50:100]]
    assert broken.text == again.text[: len(broken.text)]


def test_requests_are_counted_by_path(api, emulator):
    for _ in range(3):
        api("contatos")
    api("lista")
    api("contatos", token="wrong")
    assert emulator.count() == 5
    assert emulator.count("/crm/api/1/contatos") == 4
    assert [r.status for r in emulator.requests] == [200, 200, 200, 200, 401]
    assert emulator.requests[0].args == {}
    emulator.reset_log()
    assert emulator.count() == 0


def test_the_in_process_adapter_gives_the_same_answers(api, emulator):
    session = requests.Session()
    session.mount("http://nectarcrm.demo.invalid/", WSGIAdapter(emulator))
    cases = [
        ("contatos", {"page": 2, "displayLength": 30}),
        ("oportunidades", {"status": 3, "page": -1}),
        ("contatos", {"dataInicioAtualizacao": "15/11/2026", "dataFimAtualizacao": "20/11/2026"}),
        ("produto", {"page": 1}),
        ("contatos", {"dataInicio": "tomorrow"}),
        ("nowhere", {}),
    ]
    for path, params in cases:
        over_socket = api(path, **params)
        in_process = session.get(f"http://nectarcrm.demo.invalid/crm/api/1/{path}",
                                 params=params, headers={"Access-Token": TOKEN})  # fmt: skip
        assert in_process.status_code == over_socket.status_code, path
        assert in_process.headers["Content-Type"] == over_socket.headers["Content-Type"]
        assert in_process.json() == over_socket.json(), path
    denied = session.get("http://nectarcrm.demo.invalid/crm/api/1/lista")
    assert (denied.status_code, denied.text) == (401, "Invalid token")
    assert emulator.count() == 2 * len(cases) + 1
