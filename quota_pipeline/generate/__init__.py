"""Synthetic CRM extracts for demos, tests and benchmarks (``quota-pipeline generate``)."""

from quota_pipeline.generate.synthetic import generate_extracts

__all__ = ["generate_extracts"]
