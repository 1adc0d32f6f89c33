"""Risk: Polars assets over the marts' per-seller and per-territory aggregates."""
