"""`python -m crm_assets.erasure_hash --email [EMAIL]` (or `--tax-id [CPF_OR_CNPJ]`):
print a data subject's keyed hash, to give `erase_data_subject` as `identifier_hash`
so the run's stored config holds no identifier in clear.

It uses CRM_PII_KEY, the key the syncs hash with. Without a value the identifier is
asked for and not echoed, so it stays out of the shell's history too. Exit status 2
when the key is missing or the identifier is not an email or a valid CPF/CNPJ.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence

from crm_assets.core.privacy import KEY_VARIABLE, identifier_hash


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m crm_assets.erasure_hash",
        description="Print a data subject's keyed hash, for erase_data_subject's "
        f"identifier_hash (uses {KEY_VARIABLE}).",
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--email", nargs="?", const="", metavar="EMAIL")
    which.add_argument("--tax-id", nargs="?", const="", metavar="CPF_OR_CNPJ")
    args = parser.parse_args(argv)
    key = os.getenv(KEY_VARIABLE, "")
    if not key:
        print(f"{KEY_VARIABLE} is not set: export the key the syncs use.", file=sys.stderr)
        return 2
    kind = "email" if args.email is not None else "tax_id"
    value = args.email if args.email is not None else args.tax_id
    if not value:
        value = getpass.getpass("email: " if kind == "email" else "CPF or CNPJ: ")
    try:
        print(identifier_hash(key, **{kind: value.strip()}))
    except ValueError as exc:
        print(f"erasure_hash: {exc}.", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
