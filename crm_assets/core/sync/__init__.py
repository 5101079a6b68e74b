"""A source's streams into their tables: the run's one pool of threads (`workers`:
streams side by side, pages fetched ahead), pagination, read-ahead, and the sync of
one stream. Uses `http`, `warehouse`, `spec` and `privacy`."""
