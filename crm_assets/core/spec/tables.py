"""The names of a source's tables: the one place a table prefix meets a stream.

A stream's table is `<prefix><stream>`; a nested list's is `<table>__<child>`, or a
table several streams share (`ChildSpec.table`) under the same prefix. The sync, the
models and the erasure job all name tables here, so a custom `table_prefix` reaches
every one of them.
"""

from __future__ import annotations

from crm_assets.core.spec.streams import ChildSpec, SourceSpec, StreamSpec


def stream_table(prefix: str, stream: StreamSpec | str) -> str:
    """The table a stream is written to."""
    name = stream if isinstance(stream, str) else stream.name
    return f"{prefix}{name}"


def child_table(prefix: str, stream: StreamSpec, child: ChildSpec) -> str:
    """The table a stream's nested list is written to."""
    if child.table:
        return f"{prefix}{child.table}"
    return f"{stream_table(prefix, stream)}__{child.name}"


def source_tables(source: SourceSpec, prefix: str) -> dict[str, str]:
    """Every table of a source, by its name without the prefix: `deals`,
    `pipelines__etapas` (a child list) or `custom_field_values` (a shared child table)."""
    tables = {}
    for stream in source.streams:
        tables[stream.name] = stream_table(prefix, stream)
        for child in stream.children:
            tables[child.table or f"{stream.name}__{child.name}"] = child_table(
                prefix, stream, child
            )
    return tables
