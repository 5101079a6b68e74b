from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm_assets_tests.connections.projects import Project, new_project


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    made = new_project(tmp_path)
    yield made
    sys.path.remove(str(tmp_path))
