"""Planning logic of the quota pipeline: quota risk per seller, strategic gaps per territory.

Pure Polars functions over the dbt marts and the validated Policy, kept apart from Dagster
and DuckDB so the contract's formulas (docs/contract.md section 3) can be tested on small frames
built by hand; the assets that read the marts and publish the tables call these.
"""

from quota_pipeline.planning.quota_risk import QUOTA_RISK_SCHEMA, compute_quota_risk
from quota_pipeline.planning.strategic_gaps import STRATEGIC_GAPS_SCHEMA, compute_strategic_gaps

__all__ = [
    "QUOTA_RISK_SCHEMA",
    "STRATEGIC_GAPS_SCHEMA",
    "compute_quota_risk",
    "compute_strategic_gaps",
]
