"""The one module that imports Dagster's private API, for what its public API lacks.

- A resource's config schema with each bound value as its own field's default
  (`bound_resource`): Dagster's public API offers only one default for the whole
  resource, which partial run config then replaces.
- The run launcher's worker-health answer (`runtime.launcher`): a launcher that
  checks its workers must return these types, which Dagster does not export.

Every name here was checked against the Dagster releases in `CHECKED_WITH`; a test
fails on any other release, so an upgrade starts by checking these again.
"""

from dagster._config.pythonic_config.config import infer_schema_from_config_class
from dagster._config.pythonic_config.conversion_utils import _curry_config_schema
from dagster._core.definitions.definition_config_schema import DefinitionConfigSchema
from dagster._core.launcher import CheckRunHealthResult, WorkerStatus

CHECKED_WITH = ("1.13.27",)

__all__ = [
    "CHECKED_WITH",
    "CheckRunHealthResult",
    "DefinitionConfigSchema",
    "WorkerStatus",
    "curry_config_schema",
    "infer_schema_from_config_class",
]

curry_config_schema = _curry_config_schema
