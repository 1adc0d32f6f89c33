"""The warehouse: DuckDB files on disk (duckdb_files.py: connect, the run lock, fsync of a
folder) and the engines beside the embedded DuckDB file, PostgreSQL and Spark (engines.py)."""
