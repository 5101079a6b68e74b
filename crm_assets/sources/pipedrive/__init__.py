"""Pipedrive: a sales CRM (API v2 with v1 where v2 has no endpoint; wire-protocols.md section A)."""
