"""`dg scaffold defs crm_assets.<Source>Connection <name>`: a connection's `defs.yaml`.

The file names the connection and lists every other attribute but the deprecated
ones commented out at its default, with what it means, so a user sees every setting
and changes one by uncommenting it. With nothing changed the connection works in
demo mode, and with its variables set it works against the vendor.
"""

from __future__ import annotations

import importlib
import textwrap
from typing import Any

import dagster as dg
import yaml

from crm_assets.core.runtime.component import ENV_VAR_SUFFIX
from crm_assets.core.runtime.connection import name_problem
from crm_assets.core.runtime.resource import DEPRECATED


class ConnectionScaffolder(dg.Scaffolder):
    def scaffold(self, request: dg.ScaffoldRequest) -> None:
        name = request.target_path.name
        if problem := name_problem(name):
            raise ValueError(f"{problem}; choose another folder name")
        component = _component_type(request.type_name)
        request.target_path.mkdir(parents=True, exist_ok=True)
        (request.target_path / "defs.yaml").write_text(
            defs_yaml(request.type_name, component, name)
        )


def scaffolded(component: type) -> type:
    """Declare `component`'s scaffolder (`dg scaffold defs` finds it by this mark)."""
    return dg.scaffold_with(ConnectionScaffolder)(component)


def defs_yaml(type_name: str, component: Any, name: str) -> str:
    """The `defs.yaml` of a new connection `name` of `component`'s type."""
    lines = [
        f"type: {type_name}",
        "",
        "# Every attribute but `name` is commented out at its default: uncomment one to",
        "# change it. Secrets are read from the variables named by `*_env_var`.",
        "attributes:",
        f"  name: {name}",
    ]
    for attribute, value in defaults(component, name).items():
        description = component.model_fields[attribute].description or ""
        lines.append("")
        lines.extend(f"  # {line}" for line in textwrap.wrap(description, 84))
        dumped = yaml.safe_dump({attribute: value}, default_flow_style=False, sort_keys=False)
        lines.extend(f"  # {line}" for line in dumped.rstrip().splitlines())
    return "\n".join(lines) + "\n"


def defaults(component: Any, name: str) -> dict[str, Any]:
    """Every attribute but `name` and the deprecated ones of a connection `name` of
    `component`'s type, at the value it takes when left out."""
    source = component.SOURCE
    resource = source.resource
    variables = resource.default_variables(name)
    found: dict[str, Any] = {}
    for attribute, field in component.model_fields.items():
        if attribute == "name" or attribute in DEPRECATED:
            continue
        setting = attribute.removesuffix(ENV_VAR_SUFFIX)
        if attribute.endswith(ENV_VAR_SUFFIX):
            found[attribute] = variables.get(setting, f"{name.upper()}_{setting.upper()}")
        elif attribute == "table_prefix":
            found[attribute] = f"{name}_"
        elif attribute == "sync_modes":
            found[attribute] = {s.name: str(s.sync_mode) for s in source.streams}
        elif setting in resource.model_fields:
            found[attribute] = resource.model_fields[setting].get_default(call_default_factory=True)
        else:
            found[attribute] = field.get_default(call_default_factory=True)
    return found


def _component_type(type_name: str) -> Any:
    module, _, attribute = type_name.rpartition(".")
    return getattr(importlib.import_module(module), attribute)
