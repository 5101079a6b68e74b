"""An answer's body: its JSON, the bytes it took on the wire, and a redacted excerpt
of it for messages."""

from __future__ import annotations

import json
from typing import Any

import orjson
import requests

from crm_assets.core.redaction import Redactor


def decode_json(content: bytes) -> Any:
    """A JSON body, decoded by orjson (about three times faster than the standard
    library on the vendors' pages); what orjson refuses and the standard library
    reads (a lone surrogate escape, NaN) is read by the standard library. Integers
    beyond 64 bits, which none of the vendors' APIs send, come back as floats.
    Raises ValueError when neither can read it."""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)


def wire_bytes(response: requests.Response) -> int:
    """The body's size as sent (compressed, where the vendor compresses)."""
    # The announced length is the bytes that crossed the wire; without one (chunked
    # transfer), the body as read is the nearest measure.
    announced = response.headers.get("Content-Length", "")
    return int(announced) if announced.isdigit() else len(response.content)


def excerpt(response: requests.Response, redactor: Redactor, limit: int = 200) -> str:
    """The start of the body on one line, redacted and quoted, for an error message."""
    text = response.text[:limit].strip().replace("\n", " ")
    return repr(redactor.redact(text))
