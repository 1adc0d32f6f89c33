"""The warehouse: DuckDB files on disk (duckdb_files.py: connect, the run lock, fsync of a
folder) and the engines a run builds in behind one protocol (base.Warehouse): the embedded
DuckDB build file (duckdb.py), PostgreSQL (postgres.py) and Spark (spark.py), picked by
engines.active_warehouse; sync.py moves tables between the build file and an engine."""
