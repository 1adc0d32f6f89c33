"""What-if scenarios (docs/contract.md section 6): the last published run's inputs with a
planner's changes, computed by the nightly formulas into a scenario file of their own.

One job in four steps, one module each: ``changes`` reads and checks CHANGES.yaml (pure),
``apply`` edits a copy of the published raw tables and re-checks them with the ingest
rules, ``compute`` runs every dbt model and every risk table of the nightly job on that
copy, ``compare`` sets it against the published run, and ``render`` writes the page and the
terminal summary. ``run`` ties them together; nothing here imports Dagster or GX, and the
published warehouse is only ever read.
"""
