"""Code that cites the project's notes in `docs/` points at a file and section that exist."""

from __future__ import annotations

import re
from pathlib import Path

import crm_assets

ROOT = Path(crm_assets.__file__).parent.parent
CITATION = re.compile(r"docs/([\w-]+\.md)")


def citations() -> list[tuple[str, str, list[str]]]:
    """(citing file, doc, section names) for every `docs/<name>.md` in the code.

    Section names are the quoted words right after the path, up to the first
    `:`, `;` or `)`, as in `docs/pipedrive-api.md, "Pagination" and "Endpoints":`.
    """
    found = []
    for path in sorted((ROOT / "crm_assets").rglob("*.py")):
        text = path.read_text()
        for match in CITATION.finditer(text):
            tail = re.split(r"[:;)]", text[match.end() : match.end() + 300], maxsplit=1)[0]
            names = [" ".join(n.split()) for n in re.findall(r'"([^"]+)"', tail)]
            found.append((str(path.relative_to(ROOT)), match.group(1), names))
    return found


def test_every_cited_doc_and_section_exists():
    cited = citations()
    assert {doc for _, doc, _ in cited} >= {"pipedrive-api.md", "nectarcrm-api.md"}
    assert any(names for _, _, names in cited)
    for source, doc, names in cited:
        path = ROOT / "docs" / doc
        assert path.exists(), f"{source} cites docs/{doc}, which does not exist"
        headings = {
            line.lstrip("#").strip() for line in path.read_text().splitlines() if line[:1] == "#"
        }
        for name in names:
            assert name in headings, f"{source} cites section {name!r} of docs/{doc}"


def test_docs_cite_no_file_outside_the_repository():
    for path in (ROOT / "docs").glob("*.md"):
        text = path.read_text()
        # The team's private notes, named in pieces so this guard is no citation itself.
        private_notes = ("design" + ".md", "wire-" + "protocols", "dagster-" + "notes")
        for private in (*private_notes, "-streams" + ".md", "shared/"):
            assert private not in text, f"{path.name} cites {private}"


def test_the_readme_layout_names_each_path_once_and_each_exists():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Layout", 1)[1].split("```", 2)[1]
    paths = [line.split()[0] for line in block.splitlines() if line and not line[0].isspace()]
    assert len(paths) == len(set(paths)), f"listed twice: {paths}"
    assert len(paths) > 5
    for path in paths:
        if "<s>" in path:
            sources = sorted((ROOT / "crm_assets" / "sources").glob("*/streams.py"))
            assert len(sources) == 4
            assert all((s.parent / "resource.py").exists() for s in sources)
            assert all((s.parent / "emulator").is_dir() for s in sources)
        else:
            assert (ROOT / path).exists(), f"the Layout names {path}, which does not exist"
    # Every module and package at the package's top level is in the Layout.
    top = {p.name for p in (ROOT / "crm_assets").iterdir() if not p.name.startswith("__")}
    named = {path.split("/")[1] for path in paths if path.startswith("crm_assets/")}
    assert top <= named, f"not in the Layout: {top - named}"


# Words that narrate the code's past instead of stating what it does and why.
HISTORY = re.compile(
    r"\bas before\b|\bused to\b|\bpreviously\b|\bformerly\b|\bno longer (?!ha[sd]\b|lists\b|"
    r"s[ae]\w*\b)|\bcommits? [0-9a-f]{7,}\b|\b[0-9a-f]{7,}\.\.[0-9a-f]{7,}\b",
    re.IGNORECASE,
)


def test_code_comments_and_the_readme_state_what_is_not_what_was():
    texts = {p: p.read_text() for p in (ROOT / "crm_assets").rglob("*.py")}
    texts[ROOT / "README.md"] = (ROOT / "README.md").read_text()
    found = [
        f"{path.relative_to(ROOT)}:{text[: m.start()].count(chr(10)) + 1}: {m.group(0)!r}"
        for path, text in texts.items()
        for m in HISTORY.finditer(text)
    ]
    assert not found, "history told in the code or the README:\n" + "\n".join(found)
