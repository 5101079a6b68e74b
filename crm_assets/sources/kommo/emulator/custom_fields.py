"""Custom field definitions and values of every type Kommo documents.

https://developers.kommo.com/docs/custom-fields lists the types and the shape of
each value: plain `{value}` (numbers as strings), `{value, enum_id, enum_code}` for
lists, unix seconds for dates, nested objects for legal entity, linked entity and
file, `{catalog_id, catalog_element_id}` for a chained list, several values for
multiselect, multitext (phones, emails) and the smart address. Price and category
exist only on lists (catalogs), multitext only on contacts and companies.
"""

from __future__ import annotations

from typing import Any

ADDRESS_PARTS = ["address_line_1", "address_line_2", "city", "state", "zip", "country"]
ADDRESS_TEXT = ["Rua Saburo Kagawa 6", "Sala 12", "São Bernardo do Campo", "São Paulo",
                "09751-510", "Brasil"]  # fmt: skip
PHONE = ["WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER"]
EMAIL = ["WORK", "PRIV", "OTHER"]

# (id, name, type, code, enum values); ids are stable so wide column names are too.
FIELDS: dict[str, list[tuple[int, str, str, str | None, list[str]]]] = {
    "leads": [
        (810001, "Origem", "select", None, ["Site", "Indicação", "Evento", "Telefone"]),
        (810002, "Valor estimado", "numeric", None, []),
        (810003, "Contrato assinado", "checkbox", None, []),
        (810004, "Produtos de interesse", "multiselect", None, ["CRM", "ERP", "BI", "Suporte"]),
        (810005, "Data da proposta", "date", None, []),
        (810006, "Site", "url", None, []),
        (810007, "Observações", "textarea", None, []),
        (810008, "Prioridade", "radiobutton", None, ["Alta", "Média", "Baixa"]),
        (810009, "Endereço de entrega", "streetaddress", None, []),
        (810010, "Endereço completo", "smart_address", None, ADDRESS_PARTS),
        (810011, "Aniversário do cliente", "birthday", None, []),
        (810012, "Dados fiscais", "legal_entity", None, []),
        (810013, "Reunião", "date_time", None, []),
        (810014, "Anexo", "file", None, []),
        (810015, "utm_source", "tracking_data", "UTM_SOURCE", []),
        (810016, "Contato vinculado", "linked_entity", None, []),
        (810017, "Itens do catálogo", "chained_list", None, []),
        (810018, "Orçamento", "monetary", None, []),
        # Named like a standard column, and like another custom field: collisions.
        (810019, "Name", "text", None, []),
        (810020, "Origem", "text", None, []),
    ],
    "contacts": [
        (820001, "Telefone", "multitext", "PHONE", PHONE),
        (820002, "Email", "multitext", "EMAIL", EMAIL),
        (820003, "Cargo", "text", "POSITION", []),
        (820004, "Idade", "numeric", None, []),
        (820005, "Aceita marketing", "checkbox", None, []),
        (820006, "Aniversário", "birthday", None, []),
        (820007, "Segmento", "select", None, ["Varejo", "Indústria", "Serviços"]),
        (820008, "Interesses", "multiselect", None, ["Vendas", "Marketing", "Finanças"]),
        (820009, "Endereço", "smart_address", None, ADDRESS_PARTS),
    ],
    "companies": [
        (830001, "Telefone", "multitext", "PHONE", PHONE),
        (830002, "Web", "url", "WEB", []),
        (830003, "Endereço", "textarea", "ADDRESS", []),
        (830004, "Dados fiscais", "legal_entity", None, []),
        (830005, "Funcionários", "numeric", None, []),
        (830006, "Setor", "select", None, ["Tecnologia", "Saúde", "Educação"]),
        (830007, "Fundação", "date", None, []),
    ],
    "catalogs/5001": [
        (840001, "SKU", "text", "SKU", []),
        (840002, "Preço", "price", "PRICE", []),
        (840003, "Categoria", "category", None, ["Hardware", "Software", "Serviço"]),
        (840004, "Quantidade", "numeric", None, []),
        (840005, "Ficha técnica", "file", None, []),
        (840006, "Descrição", "textarea", "DESCRIPTION", []),
    ],
    "catalogs/5002": [
        (840011, "Preço", "price", "PRICE", []),
        (840012, "Categoria", "category", None, ["Mensal", "Anual"]),
        (840013, "Código", "text", None, []),
    ],
}
DATE_BASE = 1_700_000_000


def enum_id(field_id: int, position: int) -> int:
    return field_id * 10 + position + 1


def definitions(entity: str) -> list[dict[str, Any]]:
    """The field definitions of an entity (or `catalogs/<id>`), as `/custom_fields` lists them."""
    entity_type = "catalogs" if entity.startswith("catalogs/") else entity
    out = []
    for sort, (field_id, name, kind, code, enums) in enumerate(FIELDS[entity]):
        out.append(
            {
                "id": field_id,
                "name": name,
                "type": kind,
                "code": code,
                "sort": (sort + 1) * 10,
                "entity_type": entity_type,
                "is_predefined": code in ("PHONE", "EMAIL", "POSITION", "WEB", "ADDRESS"),
                "is_deletable": code is None,
                "is_visible": True,
                "is_required": False,
                "is_api_only": False,
                "group_id": None,
                "required_statuses": [],
                "settings": None,
                "remind": "day" if kind == "birthday" else None,
                "enums": [
                    {"id": enum_id(field_id, p), "value": v, "sort": (p + 1) * 10}
                    for p, v in enumerate(enums)
                ]
                or None,
                "catalog_id": int(entity.split("/")[1]) if entity_type == "catalogs" else None,
            }
        )
    return out


def values_for(entity: str, k: int) -> list[dict[str, Any]] | None:
    """Record `k`'s `custom_fields_values`: null for some records, a subset for most."""
    if k % 13 == 0:
        return None
    out = []
    for position, (field_id, name, kind, code, enums) in enumerate(FIELDS[entity]):
        if (k + position) % 4 == 0:
            continue
        out.append(
            {
                "field_id": field_id,
                "field_name": name,
                "field_code": code,
                "field_type": kind,
                "values": _values(kind, field_id, enums, k + position),
            }
        )
    return out


def _values(kind: str, field_id: int, enums: list[str], k: int) -> list[dict[str, Any]]:
    def choice(position: int) -> dict[str, Any]:
        position %= len(enums)
        return {"value": enums[position], "enum_id": enum_id(field_id, position), "enum_code": None}

    if kind in ("select", "radiobutton", "category"):
        return [choice(k)]
    if kind == "multiselect":
        return [choice(k + j) for j in range(1 + k % min(3, len(enums)))]
    if kind == "multitext":
        return [
            {
                "value": f"+55 11 9{k:07d}{j}" if enums is PHONE else f"contato{k}.{j}@exemplo.com",
                "enum_id": enum_id(field_id, (k + j) % len(enums)),
                "enum_code": enums[(k + j) % len(enums)],
            }
            for j in range(1 + k % 2)
        ]
    if kind == "smart_address":
        return [
            {"value": text, "enum_id": p + 1, "enum_code": ADDRESS_PARTS[p]}
            for p, text in enumerate(ADDRESS_TEXT)
            if p != 1 or k % 2
        ]
    if kind == "chained_list":
        return [
            {"catalog_id": 5001, "catalog_element_id": 6_000_001 + (k + j) % 40}
            for j in range(1 + k % 2)
        ]
    return [_scalar(kind, k)]


def _scalar(kind: str, k: int) -> dict[str, Any]:
    if kind in ("numeric", "monetary", "price"):
        return {"value": f"{(k * 37) % 5000 + (k % 4) * 0.25:g}"}
    if kind == "checkbox":
        return {"value": k % 2 == 0}
    if kind in ("date", "birthday"):
        return {"value": DATE_BASE + (k % 900) * 86_400 - DATE_BASE % 86_400}
    if kind == "date_time":
        return {"value": DATE_BASE + k * 3_607}
    if kind == "url":
        return {"value": f"https://cliente{k}.exemplo.com.br/"}
    if kind == "textarea":
        return {"value": f"Primeira linha {k}\nSegunda linha"}
    if kind == "streetaddress":
        return {"value": f"Rua das Flores {k % 900 + 1}, São Paulo"}
    if kind == "tracking_data":
        return {"value": ["google", "facebook", "newsletter"][k % 3]}
    if kind == "legal_entity":
        return {
            "value": {
                "name": f"Empresa {k} Ltda",
                "entity_type": 1 + k % 2,
                "vat_id": f"{10_000_000 + k}",
                "tax_registration_reason_code": 213,
                "address": "Rua Saburo Kagawa 6, São Bernardo do Campo",
                "external_uid": f"uid-{k}",
            }
        }
    if kind == "file":
        return {
            "value": {
                "file_uuid": f"3b454645-5c7f-4539-9ef9-{k:012d}",
                "version_uuid": f"13db6652-b3ed-4fff-aed8-{k:012d}",
                "file_name": f"proposta-{k}.pdf",
                "file_size": 20_000 + k,
            }
        }
    if kind == "linked_entity":
        return {
            "value": {
                "name": f"Contato {k}",
                "entity_id": 5_000_001 + k,
                "entity_type": "contacts",
                "catalog_id": None,
            }
        }
    return {"value": f"Texto {k}"}
