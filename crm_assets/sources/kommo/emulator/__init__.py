"""A faithful fake of Kommo's API v4, served as a WSGI app (see `app.py`)."""

from crm_assets.sources.kommo.emulator.app import KommoEmulator

__all__ = ["KommoEmulator"]
