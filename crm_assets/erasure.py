"""The `erase_data_subject` job: one person out of every source's tables, on request.

Config (one of `email`, `tax_id`, `identifier_hash`, `record`; and `mode`):

    ops:
      erase_subject:
        config: {email: "ana@example.com", mode: delete}     # or tax_id: "529.982.247-25",
                                                               # or record: "pipedrive_persons:42"

Dagster keeps a run's config with the run, in clear. So that the run record holds no
identifier, give it as a variable (`email: {env: ERASE_EMAIL}`, read in the run's
process), or as its keyed hash, which

    python -m crm_assets.erasure_hash --email        # asks for it; or --tax-id

prints (HMAC-SHA256 under CRM_PII_KEY, the hash the warehouse and the register use):
`identifier_hash: <64 hex digits>`.

The run's log and metadata name the subject by its hash and count the rows touched
per table; `core.privacy.erasure` says what is found and how.
"""

import json
import os
import re
from collections.abc import Sequence

from dagster import (
    Config,
    ConfigurableResource,
    EnvVar,
    Failure,
    InitResourceContext,
    OpExecutionContext,
    Output,
    job,
    op,
)
from pydantic import Field

from crm_assets.core.privacy import (
    CPF,
    EMAIL,
    KEY_VARIABLE,
    Policy,
    Subject,
    erase,
    hashed_terms,
    identifier_terms,
    record_subject,
    table_maps,
    tax_id_class,
)
from crm_assets.core.redaction import Redactor
from crm_assets.core.runtime.assets import WAREHOUSE_KEY
from crm_assets.core.spec.streams import SourceSpec

PII_KEY = "pii_key"
MODES = ("delete", "null")
IDENTIFIERS = ("email", "tax_id", "identifier_hash", "record")
_DIGEST = re.compile(r"[0-9a-f]{64}")


class PiiKey(ConfigurableResource):
    """The key personal data is hashed with (CRM_PII_KEY), for jobs outside a source."""

    key: str = Field(default="", description=f"From {KEY_VARIABLE}.")

    @classmethod
    def from_env(cls) -> "PiiKey":
        return cls(key=EnvVar(KEY_VARIABLE)) if os.getenv(KEY_VARIABLE) else cls()

    def setup_for_execution(self, context: InitResourceContext) -> None:
        if not self.key:
            raise Failure(
                f"Erasure needs {KEY_VARIABLE}, which is not set: it finds hashed values and "
                "registers what it erased by their hash. Export the key the syncs use."
            )
        Redactor([self.key])


class EraseConfig(Config):
    email: str = Field(
        default="",
        description="The person's email; {env: VAR} reads it from a variable of the run's "
        "process, so the run's stored config does not hold it.",
    )
    tax_id: str = Field(
        default="",
        description="The person's CPF or CNPJ, punctuated or not; {env: VAR} as for email.",
    )
    identifier_hash: str = Field(
        default="",
        description="The email's or CPF/CNPJ's HMAC-SHA256 under CRM_PII_KEY, as "
        "`python -m crm_assets.erasure_hash` prints it: no identifier in clear in the run.",
    )
    record: str = Field(
        default="", description="One record, as <table>:<id>, e.g. pipedrive_persons:42."
    )
    mode: str = Field(
        default="delete",
        description="delete: remove the person's rows; null: keep them with personal "
        "columns emptied. Either way, records that only name the person (a deal whose "
        "contact they are) stay, with the link and the name emptied.",
    )


def erasure_job(sources: Sequence[tuple[SourceSpec, str]]):
    """The job erasing a data subject from the tables of `sources` (spec, table prefix)."""
    maps = table_maps(sources)

    @op(
        name="erase_subject",
        required_resource_keys={WAREHOUSE_KEY, PII_KEY},
        description="Delete or empty every row about one person, in every source's tables.",
    )
    def erase_op(context: OpExecutionContext, config: EraseConfig):
        policy = Policy({}, getattr(context.resources, PII_KEY).key)
        warehouse = getattr(context.resources, WAREHOUSE_KEY)
        _check(config, {m.table for m in maps})
        with warehouse.engine.begin() as connection:
            if config.record:
                table, _, record_id = config.record.partition(":")
                try:
                    subject = record_subject(connection, table, record_id)
                except ValueError as exc:
                    raise Failure(f"erase_data_subject: record {config.record}: {exc}") from None
            elif config.identifier_hash:
                subject = Subject(hashed_terms(connection, maps, policy, config.identifier_hash))
            else:
                subject = Subject(identifier_terms(policy, config.email, config.tax_id))
            touched = erase(connection, maps, policy, subject, config.mode)
        named = _named(policy, config)
        total = sum(touched.values())
        by_table = ", ".join(f"{t} {n}" for t, n in sorted(touched.items())) or "none"
        context.log.info(
            f"erase_data_subject ({config.mode}) {named}: {total} rows touched: {by_table}; "
            f"{len(subject.hashes)} identifiers registered in crm_erasure_log."
        )
        return Output(
            None,
            metadata={
                "subject": named,
                "mode": config.mode,
                "rows_touched": total,
                "tables": json.dumps(touched, sort_keys=True),
                "identifiers_registered": len(subject.hashes),
            },
        )

    @job(
        name="erase_data_subject",
        description=(
            "Erase one person (email, CPF/CNPJ, their keyed hash, or a record) from every "
            "raw, child and history table of every source, and their name and link from "
            "the records that name them; idempotent. Needs CRM_PII_KEY."
        ),
    )
    def erase_data_subject():
        erase_op()

    return erase_data_subject


def _check(config: EraseConfig, tables: set[str]) -> None:
    given = [name for name in IDENTIFIERS if getattr(config, name)]
    if len(given) != 1:
        raise Failure(
            "erase_data_subject: give exactly one of email, tax_id, identifier_hash or record."
        )
    if config.mode not in MODES:
        raise Failure(f"erase_data_subject: mode is {config.mode!r}; use delete or null.")
    if config.email and "@" not in config.email:
        raise Failure("erase_data_subject: the email has no @.")
    if config.tax_id and tax_id_class(config.tax_id) is None:
        raise Failure("erase_data_subject: tax_id is not a CPF or CNPJ (check digits differ).")
    if config.identifier_hash and not _DIGEST.fullmatch(config.identifier_hash):
        raise Failure(
            "erase_data_subject: identifier_hash is not 64 lower-case hex digits; print it "
            "with `python -m crm_assets.erasure_hash --email` (or --tax-id)."
        )
    if config.record:
        table = config.record.partition(":")[0]
        if table not in tables or ":" not in config.record:
            raise Failure(
                f"erase_data_subject: record must be <table>:<id> with a source's table "
                f"(e.g. {sorted(tables)[0]}:42), not {config.record!r}."
            )


def _named(policy: Policy, config: EraseConfig) -> str:
    """The subject as the log may show it: a hash, or the record's table and id."""
    if config.record:
        return f"record {config.record}"
    if config.identifier_hash:
        return f"identifier hash {config.identifier_hash[:16]}"
    kind = EMAIL if config.email else CPF
    return f"{kind} hash {policy.hash(kind, config.email or config.tax_id)[:16]}"
