"""What analysts and planners use on the published warehouse: safe queries, table docs, the report.

Nothing here imports Dagster: the CLI, the publish assets and the tests share it.
"""
