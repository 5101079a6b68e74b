"""A third-party Kommo/amoCRM client from PyPI (amocrm-api) against the emulator.

The client is used as published; only its base URL changes: it always calls
`https://{subdomain}.amocrm.ru/api/v4/`, so a transport adapter on its session
sends those calls to the loopback emulator instead.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
import requests
from amocrm.v2 import Contact, Lead, interaction, tokens
from requests.adapters import HTTPAdapter

from crm_assets.core.emulation import serve
from crm_assets.sources.kommo.emulator import KommoEmulator
from crm_assets_tests.sources.kommo.conftest import ANCHOR

SUBDOMAIN = "emulated"


class ToLoopback(HTTPAdapter):
    """Sends `https://emulated.amocrm.ru/...` to the emulator's loopback URL."""

    def __init__(self, url: str):
        super().__init__()
        self.url = url

    def send(self, request: requests.PreparedRequest, **kwargs):
        request.url = request.url.replace(f"https://{SUBDOMAIN}.amocrm.ru", self.url, 1)
        return super().send(request, **kwargs)


@pytest.fixture
def client_on_emulator():
    # The client reads the token's expiry from it, as from a Kommo long-lived token (a JWT).
    token = jwt.encode(
        {"exp": int((datetime.now(UTC) + timedelta(days=365)).timestamp())},
        "a-test-signing-key-of-32-bytes!!",
        algorithm="HS256",
    )
    emulator = KommoEmulator(
        token=token,
        anchor=ANCHOR,
        days=20,
        sizes={"leads": 257, "contacts": 30, "companies": 10, "tasks": 5, "notes": 5},
    )
    storage = tokens.MemoryTokensStorage()
    storage.save_tokens(token, "no-refresh")
    tokens.default_token_manager(
        client_id="id", client_secret="secret", subdomain=SUBDOMAIN, redirect_url="x",
        storage=storage,
    )  # fmt: skip
    tokens.default_token_manager._storage = storage
    with serve(emulator) as url:
        interaction._session.mount(f"https://{SUBDOMAIN}.amocrm.ru", ToLoopback(url))
        try:
            yield emulator
        finally:
            interaction._session.adapters.pop(f"https://{SUBDOMAIN}.amocrm.ru")


def test_amocrm_api_lists_leads_and_contacts(client_on_emulator):
    emulator = client_on_emulator
    leads = list(Lead.objects.all())
    assert [lead.id for lead in leads] == [r["id"] for r in emulator.records("leads")]
    first = leads[0]
    assert first.name == emulator.records("leads")[0]["name"]
    assert first.status.id == emulator.records("leads")[0]["status_id"]
    assert next(iter(first.contacts)).id == emulator.records("contacts")[0]["id"]

    contacts = list(Contact.objects.all())
    assert [c.id for c in contacts] == [r["id"] for r in emulator.records("contacts")]
    assert contacts[0].first_name == emulator.records("contacts")[0]["first_name"]
    # One full page of 250 live leads: its `next` link leads to a 204, which ends the list.
    statuses = [r.status for r in emulator.requests if r.path == "/api/v4/leads"]
    assert statuses == [200, 204]
