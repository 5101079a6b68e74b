"""A stream's pages into its tables: pagination, read-ahead, streams at once within a
source's budget, and the sync of one stream. Uses `http`, `warehouse`, `spec` and
`privacy`."""
