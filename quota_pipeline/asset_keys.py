"""The asset keys that steps of the nightly graph name across package boundaries.

A step that depends on another step's asset imports its key from here, never from the
other step's module, so ingest does not pull in publish (and with it the report and GX)
just to name the build file it writes into.
"""

from dagster import AssetKey

BUILD_FILE_KEY = AssetKey(["publish", "build_file"])
REPORT_KEY = AssetKey(["publish", "planning_report"])
DBT_DOCS_KEY = AssetKey(["publish", "dbt_docs"])
WAREHOUSE_KEY = AssetKey(["publish", "warehouse"])


def raw_key(extract: str) -> AssetKey:
    """The raw table an extract is loaded into."""
    return AssetKey(["raw", extract])
