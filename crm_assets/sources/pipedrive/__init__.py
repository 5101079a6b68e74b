"""Pipedrive: a sales CRM (API v2 with v1 where v2 has no endpoint; docs/pipedrive-api.md)."""
