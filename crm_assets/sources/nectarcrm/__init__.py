"""NectarCRM: a Brazilian B2B CRM (API v1, wire-protocols.md section D)."""
