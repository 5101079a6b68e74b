"""Classes of personal data, and what `hash` and `mask` turn a value of each into.

A value is normalized before it is hashed, so one person hashes alike in every source
and joins across CRMs still work:

- email: trimmed and lower-cased;
- phone: digits only, and a Brazilian number written with its country code
  (55 followed by the 10 or 11 digits of DDD plus number, 12 or 13 digits in all)
  loses the 55, so `+55 (11) 98765-4321` and `11987654321` are one number;
- cpf, cnpj, document: digits only;
- person_name: Unicode-normalized (NFKC), whitespace collapsed, case-folded.

`hash` is HMAC-SHA256 under the deployment's key, as 64 hex digits. `mask` keeps a
part that identifies no one by itself: an email's domain (`***@example.com`), the
last two digits of a phone, CPF or CNPJ (`***21`), a name's initials (`A. S.`).

CPF and CNPJ numbers in free text are found by pattern and kept only when their
check digits (the Receita Federal's modulo-11 rule) are valid.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable
from typing import Any

EMAIL, PHONE, CPF, CNPJ, PERSON_NAME, DOCUMENT = (
    "email",
    "phone",
    "cpf",
    "cnpj",
    "person_name",
    "document",
)
CLASSES = (EMAIL, PHONE, CPF, CNPJ, PERSON_NAME, DOCUMENT)
# Declared beside a class on a column about someone other than the record's subject
# (the user responsible for a contact): protected like its class, but erasing that
# someone empties the column instead of erasing the record.
REFERENCE = "reference"
MASK = "***"
# The classes an erasure is asked for by: each value names one person.
IDENTIFYING = (EMAIL, CPF, CNPJ)
# A value as `pseudonym` stores it: 64 hex digits.
HASHED = re.compile(r"[0-9a-f]{64}")

_NON_DIGIT = re.compile(r"\D")
_PHONE = re.compile(r"\+?(?:[\s().-]*\d){8,}[\s().-]*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A CPF (000.000.000-00) or CNPJ (00.000.000/0000-00), punctuated or not, standing alone.
_TAX_ID = re.compile(
    r"(?<![\d./-])(?:\d{2}\.?\d{3}\.?\d{3}/?\d{4}-?\d{2}|\d{3}\.?\d{3}\.?\d{3}-?\d{2})(?![\d/-]|\.\d)"
)


def digits(value: str) -> str:
    return _NON_DIGIT.sub("", value)


def normalize(kind: str | None, value: Any) -> str:
    """The form of `value` that is hashed: the same person, the same text.

    A value of no class (a column named in a policy by table and column) is trimmed.
    """
    text = str(value)
    if kind is None:
        return text.strip()
    if kind == EMAIL:
        return text.strip().lower()
    if kind == PHONE:
        number = digits(text)
        if number.startswith("55") and len(number) in (12, 13):
            number = number[2:]
        return number
    if kind in (CPF, CNPJ, DOCUMENT):
        return digits(text)
    if kind == PERSON_NAME:
        return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()
    raise ValueError(f"unknown class of personal data {kind!r}; use one of {', '.join(CLASSES)}")


def pseudonym(key: bytes, kind: str | None, value: Any) -> str:
    """HMAC-SHA256 of the normalized value under `key`, as hex."""
    return hmac.new(key, normalize(kind, value).encode(), hashlib.sha256).hexdigest()


def masked(kind: str | None, value: Any) -> str:
    text = str(value)
    if kind is None:
        return MASK
    if kind == EMAIL:
        domain = text.strip().rpartition("@")[2] if "@" in text else ""
        return f"{MASK}@{domain.lower()}" if domain else MASK
    if kind == PERSON_NAME:
        return " ".join(f"{word[0]}." for word in text.split() if word[:1].isalpha()) or MASK
    tail = digits(text)[-2:]
    return f"{MASK}{tail}"


def valid_cpf(number: str) -> bool:
    if len(number) != 11 or len(set(number)) == 1:
        return False
    values = list(map(int, number))
    for size in (9, 10):
        total = sum(v * w for v, w in zip(values[:size], range(size + 1, 1, -1), strict=True))
        if (total * 10 % 11) % 10 != values[size]:
            return False
    return True


def valid_cnpj(number: str) -> bool:
    if len(number) != 14 or len(set(number)) == 1:
        return False
    values = list(map(int, number))
    for size, weights in ((12, (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)),
                          (13, (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2))):  # fmt: skip
        remainder = sum(v * w for v, w in zip(values[:size], weights, strict=True)) % 11
        if (0 if remainder < 2 else 11 - remainder) != values[size]:
            return False
    return True


def tax_id_class(text: str) -> str | None:
    """`cpf` or `cnpj` when `text` is a valid one of them (punctuation aside), else None."""
    number = digits(text)
    if valid_cpf(number):
        return CPF
    if valid_cnpj(number):
        return CNPJ
    return None


def replace_tax_ids(text: str, replace: Callable[[str, str], str]) -> str:
    """`text` with every valid CPF and CNPJ in it replaced by `replace(class, found)`."""

    def swap(match: re.Match) -> str:
        kind = tax_id_class(match.group())
        return replace(kind, match.group()) if kind else match.group()

    return _TAX_ID.sub(swap, text)


def looks_like(kind: str, text: str) -> bool:
    """Whether a string inside a JSON value is a value of `kind`, to protect it there."""
    if kind == EMAIL:
        return "@" in text
    if kind == PHONE:
        return bool(_PHONE.fullmatch(text.strip())) and not _DATE.match(text.strip())
    if kind in (CPF, CNPJ):
        return tax_id_class(text) is not None
    return kind == PERSON_NAME
