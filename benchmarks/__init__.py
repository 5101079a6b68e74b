"""Throughput and memory benchmarks: one module per source, one command each."""
