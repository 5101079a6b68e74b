"""A ConfigurableResource whose bound values stay each field's default in run config.

Dagster turns the values a resource was built with (`Res(token=EnvVar("X"), ...)`)
into a single default for the resource's whole config dict. Run config that sets
any field of the resource (in the launchpad, a schedule or `dagster job execute
-c`) replaces that default as a whole, and every field it does not name falls back
to the class default: the token to None, a demo base URL to the vendor's, a start
date from the environment to the built-in one. Binding each value as the default
of its own field instead lets run config change one setting and keep the rest,
and makes the launchpad's default config list every setting, secrets as
`{env: VARIABLE}`.
"""

from __future__ import annotations

from typing import Any

from dagster import ConfigurableResource

from crm_assets.core.dagster_private import (
    DefinitionConfigSchema,
    curry_config_schema,
    infer_schema_from_config_class,
)


class BoundResource(ConfigurableResource):
    """Base for resources whose bound values must survive partial run config."""

    @property
    def _config_schema(self) -> DefinitionConfigSchema:
        # Dagster's own schema plus per-field defaults: the same inference Dagster
        # applies to a nested Config's defaults, here applied to the resource's.
        bound = self._resolved_config_dict
        return curry_config_schema(infer_schema_from_config_class(type(self), default=bound), bound)


def run_has_ended(context: Any) -> bool:
    """Whether the run a resource is being set up for has already ended.

    Dagster's `job execute` sets a run's resources up once more after the run, to read
    its outputs. A check that failed the run would fail there again, and the CLI would
    end on Dagster's traceback instead of the run's own failure; so checks skip it.
    """
    run = getattr(context, "run", None)
    instance = getattr(context, "instance", None)
    if run is None or instance is None:
        return False
    stored = instance.get_run_by_id(run.run_id)
    return stored is not None and stored.is_finished
