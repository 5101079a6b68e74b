"""What a source is, as data: stream specs, the names of their tables, and raw values
in their declared types. Imports no other part of core."""
