"""Data quality: GX Core suites run as Dagster asset checks (see checks.py).

suites.py (the suites), gx_project.py (GX's import, the GX project, Data Docs),
validation.py (rows against suites) and results.py (the outcomes as named records) import
no Dagster, so the suites can be validated and tested on plain frames; checks.py wires
them to the assets, and automation/run_alerts.py turns failed checks into alerts for
planning ops.
"""
