"""Normalization, hashing, masking and CPF/CNPJ detection of personal data."""

from __future__ import annotations

import pytest

from crm_assets.core.privacy import (
    Policy,
    PolicyError,
    masked,
    normalize,
    pseudonym,
    replace_tax_ids,
    tax_id_class,
    valid_cnpj,
    valid_cpf,
)

KEY = b"k" * 32


@pytest.mark.parametrize(
    ("kind", "one", "other"),
    [
        ("email", " Ana.Silva@Example.COM ", "ana.silva@example.com"),
        ("phone", "+55 (11) 98765-4321", "11987654321"),
        ("phone", "55 11 3123-4567", "(11) 3123-4567"),
        ("cpf", "529.982.247-25", "52998224725"),
        ("cnpj", "11.222.333/0001-81", "11222333000181"),
        ("person_name", "Ana  Maria SILVA", "ana maria silva"),
    ],
)
def test_one_value_written_two_ways_hashes_alike(kind, one, other):
    assert pseudonym(KEY, kind, one) == pseudonym(KEY, kind, other)
    assert pseudonym(KEY, kind, one) != pseudonym(b"another key" * 3, kind, one)


def test_only_brazilian_numbers_lose_a_leading_55():
    # 55 is Brazil's country code only on a 12- or 13-digit number; a shorter number
    # starting with 55 (DDD 55, Rio Grande do Sul) keeps it.
    assert normalize("phone", "+55 55 99876-5432") == "55998765432"
    assert normalize("phone", "(55) 9876-5432") == "5598765432"
    assert normalize("phone", "+1 555 1234567") == "15551234567"


def test_check_digits():
    assert valid_cpf("52998224725") and not valid_cpf("52998224726")
    assert not valid_cpf("11111111111")
    assert valid_cnpj("11222333000181") and not valid_cnpj("11222333000182")
    assert tax_id_class("529.982.247-25") == "cpf"
    assert tax_id_class("11.222.333/0001-81") == "cnpj"


def test_free_text_keeps_everything_but_valid_numbers():
    text = (
        "CPF 529.982.247-25 e 52998224725, CNPJ 11.222.333/0001-81; "
        "pedido 123.456.789-00, telefone 11987654321, data 2026-11-20, valor 1.234.567,89"
    )
    found = []
    out = replace_tax_ids(text, lambda kind, value: found.append((kind, value)) or "#")
    assert found == [("cpf", "529.982.247-25"), ("cpf", "52998224725"),
                     ("cnpj", "11.222.333/0001-81")]  # fmt: skip
    assert out == (
        "CPF # e #, CNPJ #; pedido 123.456.789-00, telefone 11987654321, "
        "data 2026-11-20, valor 1.234.567,89"
    )


def test_masks_keep_the_documented_part():
    assert masked("email", "Ana@Example.com") == "***@example.com"
    assert masked("phone", "(11) 98765-4321") == "***21"
    assert masked("cnpj", "11.222.333/0001-81") == "***81"
    assert masked("person_name", "Ana Maria Silva") == "A. M. S."


def test_a_guard_protects_json_values_that_look_like_the_class_and_no_key():
    policy = Policy({"hash": ["email"], "drop": ["phone"]}, key="k")
    guard = policy.guard("t", {"emails": "email", "tel": "phone"}, key=("id",))
    row = guard.row({"id": 1, "tel": "1", "emails": [{"value": "a@b.c", "label": "work"}]})
    assert row == {"id": 1, "emails": [{"value": pseudonym(b"k", "email", "a@b.c"),
                                        "label": "work"}]}  # fmt: skip
    assert guard.column_types({"id": "integer", "tel": "text", "emails": "json"}) == {
        "id": "integer", "emails": "json"}  # fmt: skip


def test_a_key_column_cannot_be_protected():
    with pytest.raises(PolicyError, match="part of the table's key"):
        Policy({"hash": ["t.id"]}, key="k").guard("t", {}, key=("id",))


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"encrypt": ["email"]}, "'encrypt' is not an action"),
        ({"hash": ["e-mail"]}, "'e-mail' .* is neither a class"),
        ({"scan": ["email"]}, "scan takes table.column"),
    ],
)
def test_a_bad_policy_says_what_is_wrong(rules, message):
    with pytest.raises(PolicyError, match=message):
        Policy(rules)
