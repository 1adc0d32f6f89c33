"""Data quality: GX Core suites run as Dagster asset checks (see checks.py).

suites.py and runner.py import no Dagster, so the suites can be validated and tested on
plain frames; checks.py wires them to the assets, and automation/run_alerts.py turns failed
checks into alerts for planning ops.
"""
