"""Personal data: policies and what they do to a row, the classes of personal data,
the checks of a policy's names, erasure of a data subject and its register. Uses
`warehouse` and `spec`."""

from crm_assets.core.privacy.erasure import erase
from crm_assets.core.privacy.names import check_discovered, check_policy_names
from crm_assets.core.privacy.personal_data import (
    CNPJ,
    CPF,
    DOCUMENT,
    EMAIL,
    PERSON_NAME,
    PHONE,
    REFERENCE,
    digits,
    masked,
    normalize,
    pseudonym,
    replace_tax_ids,
    tax_id_class,
    valid_cnpj,
    valid_cpf,
)
from crm_assets.core.privacy.policy import (
    KEY_VARIABLE,
    Policy,
    PolicyError,
    policy_from_env,
    read_policy_env,
)
from crm_assets.core.privacy.register import Returning
from crm_assets.core.privacy.subject import (
    Subject,
    hashed_terms,
    identifier_hash,
    identifier_terms,
    record_subject,
)
from crm_assets.core.privacy.tables import TableMap, table_maps

__all__ = [
    "CNPJ",
    "CPF",
    "DOCUMENT",
    "EMAIL",
    "KEY_VARIABLE",
    "PERSON_NAME",
    "PHONE",
    "REFERENCE",
    "Policy",
    "PolicyError",
    "Returning",
    "Subject",
    "TableMap",
    "check_discovered",
    "check_policy_names",
    "digits",
    "erase",
    "hashed_terms",
    "identifier_hash",
    "identifier_terms",
    "masked",
    "normalize",
    "policy_from_env",
    "pseudonym",
    "read_policy_env",
    "record_subject",
    "replace_tax_ids",
    "table_maps",
    "tax_id_class",
    "valid_cnpj",
    "valid_cpf",
]
