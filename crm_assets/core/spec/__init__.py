"""What a source is, as data: stream specs, the names of their tables, and flattening
records into columns. Imports no other part of core."""
