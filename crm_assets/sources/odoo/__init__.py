"""Odoo: an ERP whose models describe themselves (JSON-2 on 19+, JSON-RPC before; docs/odoo-api.md)."""
