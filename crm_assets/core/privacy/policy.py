"""A source's privacy policy, applied to every row before it is written.

The policy maps an action to what it applies to:

    {"hash": ["email", "phone", "cpf", "cnpj"], "mask": ["person_name"],
     "drop": ["crm_contacts.tax_id"], "scan": ["crm_notes.body"]}

- actions: `keep` (the default), `mask`, `hash`, `drop` (see `personal_data` for what
  each makes of a value). `drop` never stores the column: it is not created, and a
  column it shares with other data (a long table's value column) is stored empty;
- targets: a class of personal data, which covers every column the source declares
  of that class, or `table.column`, which wins over the column's classes (so
  `{"hash": ["email"], "keep": ["crm_users.email"]}` is an exception);
- `document` columns are free text: the valid CPF and CNPJ numbers found in them are
  hashed or masked in place; `scan` makes any other column such a column;
- a column of several classes (a tax id that is a CPF or a CNPJ) gets the strongest
  of their actions; keys of a table are never changed.

Values inside JSON columns are protected where they look like the column's class
(an `@` for an email, eight digits or more for a phone, a valid number for CPF/CNPJ).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from crm_assets.core import schema
from crm_assets.core.privacy import personal_data

KEY_VARIABLE = "CRM_PII_KEY"
POLICY_VARIABLE = "CRM_PII_POLICY"
KEEP, MASK, HASH, DROP = "keep", "mask", "hash", "drop"
ACTIONS = (KEEP, MASK, HASH, DROP)
SCAN = "scan"
_DONE = {
    MASK: "masked ({})",
    HASH: "hashed (HMAC-SHA256 of the normalized value)",
    DROP: "dropped",
}
_MASKS = {
    personal_data.EMAIL: "the domain is kept",
    personal_data.PHONE: "the last two digits are kept",
    personal_data.CPF: "the last two digits are kept",
    personal_data.CNPJ: "the last two digits are kept",
    personal_data.PERSON_NAME: "the initials are kept",
    personal_data.DOCUMENT: "CPF and CNPJ numbers in it keep their last two digits",
}

_IDENTIFYING = (personal_data.EMAIL, personal_data.CPF, personal_data.CNPJ)
Record = dict[str, Any]
Classes = str | tuple[str, ...]
RowClasses = Callable[[Record], Mapping[str, str]]


class PolicyError(ValueError):
    pass


class Policy:
    """A validated policy and the key `hash` uses (None when the policy hashes nothing)."""

    def __init__(self, rules: Mapping[str, Sequence[str]], key: str | None = None):
        self.rules = {action: list(targets) for action, targets in (rules or {}).items()}
        self._by_class: dict[str, str] = {}
        self._by_column: dict[str, str] = {}
        self._scan: set[str] = set()
        for action, targets in self.rules.items():
            if action == POLICY_VARIABLE:
                # The variable could not be read (`policy_from_env`): its problem.
                raise PolicyError(" ".join(map(str, targets)))
            if action not in (*ACTIONS, SCAN):
                raise PolicyError(
                    f"privacy: {action!r} is not an action; use {', '.join(ACTIONS)} or scan."
                )
            for target in targets:
                self._add(action, str(target))
        self.key = key.encode() if key else None

    @property
    def active(self) -> bool:
        return any(a != KEEP for a in self._actions()) or bool(self._scan)

    @property
    def needs_key(self) -> bool:
        return HASH in self._actions() or bool(self._scan and self._document_action() == HASH)

    def action(self, table: str, column: str, classes: Sequence[str]) -> str:
        explicit = self._by_column.get(f"{table}.{column}")
        if explicit is not None:
            return explicit
        return max((self._by_class.get(c, KEEP) for c in classes), key=ACTIONS.index, default=KEEP)

    def guard(
        self,
        table: str,
        declared: Mapping[str, Classes],
        by_row: RowClasses | None = None,
        key: Sequence[str] = (),
    ) -> TableGuard:
        return TableGuard(self, table, declared, by_row, key)

    def named(self) -> list[tuple[str, str]]:
        """(action, `table.column`) for every entry naming a column, `scan` included."""
        return [
            (action, str(target))
            for action, targets in self.rules.items()
            for target in targets
            if "." in str(target)
        ]

    def hash(self, kind: str | None, value: Any) -> str:
        if self.key is None:
            raise PolicyError(f"privacy: the policy hashes values but {KEY_VARIABLE} is not set.")
        return personal_data.pseudonym(self.key, kind, value)

    def _actions(self) -> list[str]:
        return [*self._by_class.values(), *self._by_column.values()]

    def _document_action(self) -> str:
        action = self._by_class.get(personal_data.DOCUMENT, KEEP)
        return HASH if action in (KEEP, DROP) else action

    def _add(self, action: str, target: str) -> None:
        if action == SCAN:
            if "." not in target:
                raise PolicyError(f"privacy: scan takes table.column, not {target!r}.")
            self._scan.add(target)
        elif "." in target:
            self._by_column[target] = action
        elif target in personal_data.CLASSES:
            self._by_class[target] = action
        else:
            raise PolicyError(
                f"privacy: {target!r} (under {action}) is neither a class of personal data "
                f"({', '.join(personal_data.CLASSES)}) nor table.column."
            )


class TableGuard:
    """The policy as it applies to one table: its columns' types, rows and descriptions."""

    def __init__(self, policy: Policy, table: str, declared: Mapping[str, Classes],
                 by_row: RowClasses | None, key: Sequence[str]):  # fmt: skip
        self.policy, self.table, self.by_row = policy, table, by_row
        self.declared = {c: (k,) if isinstance(k, str) else tuple(k) for c, k in declared.items()}
        self.columns: dict[str, tuple[str, tuple[str, ...]]] = {}
        for column, classes in self.declared.items():
            self.columns[column] = (policy.action(table, column, classes), classes)
        for target, action in policy._by_column.items():
            name, _, column = target.partition(".")
            if name == table and column not in self.columns:
                self.columns[column] = (action, ())
        for target in policy._scan:
            name, _, column = target.partition(".")
            if name == table:
                self.columns[column] = (policy._document_action(), (personal_data.DOCUMENT,))
        self.columns = {c: v for c, v in self.columns.items() if v[0] != KEEP}
        touched = sorted(set(self.columns) & set(key))
        if touched:
            raise PolicyError(
                f"privacy: {table}.{touched[0]} is part of the table's key and cannot be "
                "masked, hashed or dropped."
            )

    @property
    def idle(self) -> bool:
        return not self.columns and (self.by_row is None or not self.policy.active)

    def column_types(self, types: Mapping[str, str]) -> dict[str, str]:
        """Declared column types as stored: dropped columns gone, protected ones text."""
        out = {}
        for name, kind in types.items():
            action, classes = self.columns.get(name, (KEEP, ()))
            if action == DROP:
                continue
            # Hashes and masks are text; JSON stays JSON, free text stays text.
            changed = (
                action != KEEP and kind != schema.JSON and personal_data.DOCUMENT not in classes
            )
            out[name] = schema.TEXT if changed else kind
        return out

    def rows(self, rows: list[Record]) -> list[Record]:
        if self.idle:
            return rows
        return [self.row(row) for row in rows]

    def row(self, row: Record) -> Record:
        out = dict(row)
        for column, (action, classes) in self.columns.items():
            if column not in out:
                continue
            if action == DROP:
                del out[column]
            else:
                out[column] = self._protect(out[column], action, classes)
        if self.by_row is not None:
            for column, kind in self.by_row(row).items():
                if kind and out.get(column) is not None and column not in self.columns:
                    action = self.policy.action(self.table, column, (kind,))
                    if action == DROP:
                        out[column] = None
                    elif action != KEEP:
                        out[column] = self._protect(out[column], action, (kind,))
        return out

    def identifiers(self, row: Record) -> Iterator[str]:
        """Hashes of the emails and CPF/CNPJ of a row's subject, in a row as written
        (hashed already, or raw and hashed here when the key is known)."""
        declared = dict(self.declared)
        if self.by_row is not None:
            declared.update({c: (k,) for c, k in self.by_row(row).items() if k})
        for column, classes in declared.items():
            value = row.get(column)
            kinds = [k for k in classes if k in _IDENTIFYING]
            if not isinstance(value, str) or not kinds or personal_data.REFERENCE in classes:
                continue
            action = self.policy.action(self.table, column, classes)
            if action == HASH:
                yield value
            elif action == KEEP and self.policy.key is not None:
                yield self.policy.hash(kinds[0], value)

    def notes(self) -> dict[str, str]:
        """Column descriptions saying how each protected column is protected."""
        notes = {}
        for column, (action, classes) in self.columns.items():
            if action == DROP:
                continue
            what = (
                ", ".join(c for c in classes if c != personal_data.REFERENCE)
                or "listed by table and column"
            )
            done = _DONE[action].format("; ".join(_MASKS[c] for c in classes if c in _MASKS))
            notes[column] = f"Personal data ({what}): {done}."
        return notes

    def _protect(self, value: Any, action: str, classes: tuple[str, ...]) -> Any:
        if value is None:
            return None
        if isinstance(value, dict | list):
            return _walk(value, lambda text: self._protect_text(text, action, classes, True))
        return self._protect_text(str(value), action, classes, False)

    def _protect_text(self, text: str, action: str, classes: tuple[str, ...], nested: bool):
        kinds = [c for c in classes if c not in (personal_data.DOCUMENT, personal_data.REFERENCE)]
        if nested:
            # Inside JSON, only what looks like personal data: labels and flags stay.
            kinds = [k for k in kinds if personal_data.looks_like(k, text)] or (
                [] if classes else [None]
            )
        elif personal_data.CPF in kinds and personal_data.CNPJ in kinds:
            kinds = [
                personal_data.tax_id_class(text)
                or (
                    personal_data.CPF
                    if len(personal_data.digits(text)) <= 11
                    else personal_data.CNPJ
                )
            ]
        elif not classes:
            kinds = [None]
        if kinds:
            return self._one(kinds[0], text, action)
        if personal_data.DOCUMENT in classes:
            return personal_data.replace_tax_ids(
                text, lambda kind, found: self._one(kind, found, action)
            )
        return text

    def _one(self, kind: str | None, text: str, action: str) -> str:
        if action == HASH:
            return self.policy.hash(kind, text)
        return personal_data.masked(kind, text)


def _walk(value: Any, change: Callable[[str], Any]) -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, change) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, change) for v in value]
    if isinstance(value, str):
        return change(value)
    return value


def policy_from_env() -> dict[str, list[str]]:
    """Every source's default policy, from CRM_PII_POLICY (JSON), e.g.
    `{"hash": ["email", "phone", "cpf", "cnpj"]}`; empty (keep all) when unset.

    Never raises: the definitions load whatever the variable holds, so every job,
    schedule and sensor stays. A value that is not a policy becomes one holding only
    what is wrong with it, under the variable's name, which `Policy` refuses with that
    message: a run using it fails at resource setup (and its failure is alerted),
    while a source whose own `privacy` setting replaces the default still runs.
    """
    try:
        return read_policy_env()
    except PolicyError as exc:
        return {POLICY_VARIABLE: [str(exc)]}


def read_policy_env() -> dict[str, list[str]]:
    """CRM_PII_POLICY as a policy; raises PolicyError saying what to write instead."""
    text = os.getenv(POLICY_VARIABLE, "").strip()
    if not text:
        return {}
    try:
        rules = json.loads(text)
    except json.JSONDecodeError as exc:
        # Where, not what: a value pasted into the wrong variable may be a secret (the
        # key), and this message reaches the launchpad, the run's log and the alert.
        raise PolicyError(
            f"{POLICY_VARIABLE} is not JSON ({exc.msg} at character {exc.pos}); write it "
            'like {"hash": ["email", "cpf"]}.'
        ) from None
    if not isinstance(rules, dict) or not all(isinstance(v, list) for v in rules.values()):
        raise PolicyError(
            f'{POLICY_VARIABLE} must map actions to lists, like {{"hash": ["email", "cpf"]}}.'
        )
    try:
        Policy(rules)
    except PolicyError as exc:
        raise PolicyError(f"{POLICY_VARIABLE}: {exc}") from None
    return {str(k): [str(t) for t in v] for k, v in rules.items()}
