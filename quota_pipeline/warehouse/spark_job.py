"""One Spark operation per process: ``load DIR``, ``read (NAME OUT)...``, ``write NAME FILE``.

Why a process per operation: the local Spark keeps its catalog in an embedded Derby
metastore, which one JVM at a time may open; dbt-spark (session mode) opens it from dbt's
own process right after ingest, so ours must be gone by then. The settings equal the
``spark`` target of dbt_project/profiles.yml, so both see the same tables.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from quota_pipeline.warehouse.base import validate_name
from quota_pipeline.warehouse.spark import spark_home


def spark_conf(home: Path) -> dict[str, str]:
    """The session settings, kept equal to the dbt profile's server_side_parameters."""
    return {
        "spark.master": "local[2]",
        "spark.app.name": "quota_pipeline",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "4",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.sql.warehouse.dir": f"{home}/warehouse",
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={home}/metastore_db;create=true"
        ),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={home}",
    }


def session(home: Path) -> object:
    """A Hive-enabled local session on the shared warehouse folder."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for key, value in spark_conf(home).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _save(spark: object, name: str, parquet: str) -> None:
    schema, _table = validate_name(name)
    spark.sql(f"create database if not exists {schema}")
    frame = spark.read.parquet(parquet)
    frame.write.mode("overwrite").format("parquet").saveAsTable(name)


def main(argv: list[str]) -> int:
    """Run one operation; the exit status tells the parent whether it worked."""
    home = spark_home()
    os.chdir(home)  # Spark and Derby drop logs in the working directory: keep them here
    spark = session(home)
    try:
        operation, *arguments = argv
        if operation == "load":
            for path in sorted(Path(arguments[0]).glob("*.parquet")):
                _save(spark, path.name.removesuffix(".parquet"), str(path))
        elif operation == "read":
            for name, out in zip(arguments[::2], arguments[1::2], strict=True):
                schema, table = validate_name(name)
                spark.table(f"{schema}.{table}").write.mode("overwrite").parquet(out)
        elif operation == "write":
            name, path = arguments
            _save(spark, name, path)
        else:
            print(f"unknown operation {operation!r}", file=sys.stderr)
            return 2
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
