"""Warehouse engines beside the embedded DuckDB file: PostgreSQL and Spark (engines.py)."""
