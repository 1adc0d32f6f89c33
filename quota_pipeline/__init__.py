"""quota_pipeline: nightly feasibility checks of sales quotas against account targets."""

__version__ = "0.1.0"
