"""A faithful fake of NectarCRM's API v1, served as a WSGI app (see `app.py`)."""

from crm_assets.sources.nectarcrm.emulator.app import NectarCrmEmulator

__all__ = ["NectarCrmEmulator"]
