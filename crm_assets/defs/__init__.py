"""The code location's connections: one folder per account, each with a `defs.yaml`.

`dg scaffold defs crm_assets.PipedriveConnection <name>` adds one (README, "Several
accounts"). The four shipped connections are named after their sources.
"""
