# quota_pipeline: `make run` and `make test` work from a fresh clone (they install everything).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
EXTRACTS ?= data/extracts
SAMPLE_ACCOUNTS ?= 20000
export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home

.PHONY: install manifest sample run test lint dev bench clean browser

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $@

# dbt's manifest is built here, never committed and never parsed at import.
manifest: install
	$(PY) -m quota_pipeline.transform.project

# Sample extracts only when the folder is empty: a user's own extracts are never touched.
sample: install
	@if [ -z "$$(ls -A $(EXTRACTS) 2>/dev/null)" ]; then \
		$(VENV)/bin/quota-pipeline generate --out $(EXTRACTS) --accounts $(SAMPLE_ACCOUNTS); \
	else echo "$(EXTRACTS) is not empty: keeping its extracts"; fi

run: manifest sample
	$(VENV)/bin/quota-pipeline run --extracts $(EXTRACTS)

lint: install
	$(VENV)/bin/ruff check quota_pipeline tests bench
	$(VENV)/bin/ruff format --check quota_pipeline tests bench
	$(VENV)/bin/sqlfluff lint dbt_project/models dbt_project/macros --disable-progress-bar
	$(VENV)/bin/lint-imports --no-cache

# The planning report's browser test runs Debian's chromium (CI runs as root).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "chromium missing and not root: the browser test will be skipped"; fi; \
	fi

test: manifest lint browser
	$(VENV)/bin/pytest -q

dev: manifest
	$(PY) -m quota_pipeline.automation.headless
	$(VENV)/bin/dagster dev -h 127.0.0.1 -w workspace.yaml

# The fixed-cost table: pipeline, floor, ratio and peak memory at 100k, 1M and 10M accounts
# (the 10M extracts are generated once into bench/data, about 2 GB; the whole run takes
# about 20 minutes on 2 cores).
BENCH_SIZES ?= 100000 1000000 10000000
bench: manifest
	$(PY) bench/run_bench.py --sizes $(BENCH_SIZES)

clean:
	rm -rf data dbt_project/target dbt_project/logs .pytest_cache
