"""The warehouse (SQLite or PostgreSQL) and its writers: staging, merge, schema
evolution, deletes, history. Imports no other part of core."""
