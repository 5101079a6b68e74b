"""Throwaway dg projects whose `defs/` hold the connections a test declares.

Each project is a package of its own on `sys.path`, named uniquely so two tests never
share a module, with a `definitions.py` that builds the code location from its
`defs/` the way `crm_assets.definitions` builds the shipped one.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from dagster import Definitions

from crm_assets.definitions import build_definitions

DG = Path(sys.executable).with_name("dg")

DEFINITIONS = """import dagster as dg

import {package}.defs as folders
from crm_assets.definitions import build_definitions


@dg.definitions
def defs():
    return build_definitions(folders)
"""


@dataclass
class Project:
    root: Path
    package: str

    @property
    def defs_folder(self) -> Path:
        return self.root / self.package / "defs"

    def declare(self, name: str, text: str) -> Path:
        """Write connection `name`'s defs.yaml."""
        folder = self.defs_folder / name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "defs.yaml"
        path.write_text(text)
        return path

    def definitions(self) -> Definitions:
        importlib.invalidate_caches()
        return build_definitions(importlib.import_module(f"{self.package}.defs"))

    def dg(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """Run the `dg` command line in the project, as a user would."""
        environment = {**os.environ, "PYTHONPATH": str(self.root), **(env or {})}
        return subprocess.run(
            [str(DG), *args], cwd=self.root, env=environment, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip


def new_project(tmp_path: Path) -> Project:
    package = f"crm_project_{uuid.uuid4().hex[:10]}"
    (tmp_path / package / "defs").mkdir(parents=True)
    (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / package / "defs" / "__init__.py").write_text('"""Connections."""\n')
    (tmp_path / package / "definitions.py").write_text(DEFINITIONS.format(package=package))
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.dg]\ndirectory_type = "project"\n\n[tool.dg.project]\nroot_module = "{package}"\n'
    )
    sys.path.insert(0, str(tmp_path))
    return Project(tmp_path, package)


def connection_yaml(type_name: str, **attributes: object) -> str:
    lines = [f"type: crm_assets.{type_name}", "", "attributes:"]
    for key, value in attributes.items():
        if isinstance(value, dict):
            lines.append(f"  {key}:")
            lines.extend(f"    {k}: {v}" for k, v in value.items())
        else:
            lines.append(f"  {key}: {value}")
    return "\n".join(lines) + "\n"
