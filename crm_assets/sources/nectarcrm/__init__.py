"""NectarCRM: a Brazilian B2B CRM (API v1, docs/nectarcrm-api.md)."""
