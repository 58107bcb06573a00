"""Throughput and query-count benchmark of the pages and the API (see bench/README.md)."""
