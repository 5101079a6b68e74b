"""The Dagster integration: the asset factory, the source resource every source's
settings build on, the executor, the run launcher and the worker checks. Uses every
other part."""
