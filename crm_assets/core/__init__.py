"""Shared machinery every source uses; no vendor names in here."""
