"""Ingest: CRM extract files -> raw.<extract> tables and dq.quarantine rows."""
