"""The shape of the code: core's parts import one way, Dagster's private API lives in
one module pinned to the releases it was checked with, and modules stay small."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import dagster

from crm_assets.core import dagster_private
from crm_assets.core.http import ApiClient
from crm_assets.core.spec.streams import Client

PACKAGE = Path(__file__).resolve().parents[2] / "crm_assets"
CORE = PACKAGE / "core"

# Each part of core, and the parts it may import. Leaves are the modules at core's root.
LEAF = "leaf"
MAY_IMPORT = {
    LEAF: {LEAF},
    "spec": {LEAF, "spec"},
    "http": {LEAF, "http"},
    "warehouse": {LEAF, "warehouse"},
    "privacy": {LEAF, "warehouse", "spec", "privacy"},
    "sync": {LEAF, "http", "warehouse", "spec", "privacy", "sync"},
    "runtime": {LEAF, "http", "warehouse", "spec", "privacy", "sync", "runtime"},
}
MOST_LINES = 400


def _part(module: str) -> str:
    """The part of `crm_assets.core.<...>` a module belongs to."""
    names = module.split(".")[2:]
    return names[0] if names and names[0] in MAY_IMPORT else LEAF


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def _module(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)


def test_the_parts_of_core_import_one_way():
    wrong = []
    for path in CORE.rglob("*.py"):
        own = _part(_module(path))
        for imported in _imports(path):
            if imported.startswith("crm_assets.") and not imported.startswith("crm_assets.core"):
                wrong.append(f"{_module(path)} imports {imported}, outside core")
            elif imported.startswith("crm_assets.core.") and _part(imported) not in MAY_IMPORT[own]:
                wrong.append(f"{_module(path)} ({own}) imports {imported} ({_part(imported)})")
    assert not wrong, "\n".join(sorted(wrong))


def test_every_part_says_what_it_offers():
    for part in MAY_IMPORT:
        if part != LEAF:
            assert ast.get_docstring(ast.parse((CORE / part / "__init__.py").read_text())), part


# Parts whose `__init__` exports what they offer. Code outside such a part imports that
# face, never the part's modules, so the part may rearrange its modules freely.
FACES = {"http", "privacy", "warehouse"}


def test_code_outside_a_part_imports_its_face():
    wrong = []
    for part in sorted(FACES):
        face = f"crm_assets.core.{part}"
        inner = {f"{face}.{p.stem}" for p in (CORE / part).glob("*.py") if p.stem != "__init__"}
        for root in (PACKAGE, PACKAGE.parent / "crm_assets_tests", PACKAGE.parent / "benchmarks"):
            for path in root.rglob("*.py"):
                if _module(path).startswith(f"{face}."):
                    continue
                wrong.extend(
                    f"{_module(path)} imports {imported}: import it from {face}"
                    for imported in _imports(path)
                    if any(imported == m or imported.startswith(f"{m}.") for m in inner)
                )
    assert not wrong, "\n".join(sorted(wrong))


def test_only_one_module_imports_dagsters_private_api():
    private = {
        _module(path)
        for path in PACKAGE.rglob("*.py")
        if any(m == "dagster._" or m.startswith("dagster._") for m in _imports(path))
    }
    assert private == {"crm_assets.core.dagster_private"}


def test_the_private_api_was_checked_with_this_dagster():
    assert dagster.__version__ in dagster_private.CHECKED_WITH, (
        f"Dagster {dagster.__version__} is not one that crm_assets/core/dagster_private.py "
        f"was checked with ({', '.join(dagster_private.CHECKED_WITH)}): check each private "
        "name it imports still means the same, then add this release to CHECKED_WITH."
    )


def test_no_module_outside_the_emulators_is_long():
    long = {
        _module(path): lines
        for path in PACKAGE.rglob("*.py")
        if "emulator" not in path.parts
        and (lines := len(path.read_text().splitlines())) > MOST_LINES
    }
    assert not long, f"modules over {MOST_LINES} lines: {long}"


# Every source's face: its settings, its component type, the vendor's protocol, its
# stream specs, its emulator; declared columns and custom-field logic where it has them.
FACE = {"__init__.py", "resource.py", "connection.py", "client.py", "streams.py", "emulator"}
OPTIONAL = {"columns.py", "fields.py"}


def test_every_source_has_the_same_face():
    sources = [p for p in (PACKAGE / "sources").iterdir() if p.is_dir() and p.name[0] != "_"]
    assert len(sources) == 4
    for source in sources:
        names = {p.name for p in source.iterdir() if p.name != "__pycache__"}
        assert FACE <= names <= FACE | OPTIONAL, f"{source.name}: {sorted(names)}"


def test_the_http_client_is_what_stream_reads_are_typed_to_receive():
    for name, member in vars(Client).items():
        if callable(member) and not name.startswith("_"):
            wanted = list(inspect.signature(member).parameters)
            assert list(inspect.signature(getattr(ApiClient, name)).parameters) == wanted, name
    # The attributes are set in ApiClient.__init__: its source names them.
    init = inspect.getsource(ApiClient.__init__)
    assert all(f"self.{attribute}" in init for attribute in Client.__annotations__)
