"""Shared machinery every source uses; no vendor names in here.

In parts, each importing only the parts below it (a test holds the order):

- leaves (`schema`, `redaction`, `dagster_private`, `bound_resource`, `demo`,
  `emulation`): column types, credential redaction, Dagster plumbing, demo hosts and
  what every emulator shares; they import no part.
- `spec`, `http`, `warehouse`: what a source is, as data; the API client; the
  warehouse and its writers. Each knows nothing of the others.
- `privacy`: policies, personal-data classes, erasure; uses `warehouse` and `spec`.
- `sync`: a stream's pages into its tables; uses `http`, `warehouse`, `spec`,
  `privacy`.
- `runtime`: the Dagster integration (asset factory, source resource, executor,
  launcher, worker); uses all.
"""
