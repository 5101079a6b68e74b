"""A faithful fake of Odoo's external APIs (JSON-2, JSON-RPC, XML-RPC), as a WSGI app."""

from crm_assets.sources.odoo.emulator.app import OdooEmulator

__all__ = ["OdooEmulator"]
