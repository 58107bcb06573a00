# Everyday commands. `make run` sets up and starts Taskdesk on SQLite with demo data;
# `make test` sets up and runs every check. PYTHON=/path/to/python3.12+ overrides the search.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

# Django 6.1 needs Python >= 3.12: take PYTHON if given, else the first interpreter that
# runs and is new enough, else a pyenv-installed 3.12+.
PYTHON ?= $(shell \
	for c in python3.13 python3.12 python3; do \
		if $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
			command -v $$c; exit 0; fi; \
	done; \
	if command -v pyenv >/dev/null 2>&1; then \
		for v in $$(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9]|[2-9][0-9])(\.|$$)' | sort -rV); do \
			p="$$(pyenv root)/versions/$$v/bin/python3"; \
			if [ -x "$$p" ]; then echo "$$p"; exit 0; fi; \
		done; \
	fi)

.PHONY: help venv install install-dev env migrate seed reset-demo run test lint format browsers bench clean

help:
	@echo "make run     set up and start Taskdesk on http://$(HOST):$(PORT)/ (SQLite, demo data)"
	@echo "             with one background worker and the scheduler; Ctrl+C stops all three"
	@echo "make test    set up and run lint, migration check and the whole test suite"
	@echo "make reset-demo  erase the development database and load the demo data afresh"
	@echo "make format  format and fix the code with ruff"
	@echo "make bench   measure pages and API throughput (see bench/README.md)"

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "Taskdesk needs Python 3.12 or newer (Django 6.1). Install python3.12 or python3.13" \
		     "(or 'pyenv install 3.13') and try again, or run: make PYTHON=/path/to/python3.12+ ..."; \
		exit 1; fi
	@echo "Creating $(VENV) with $(PYTHON)"
	"$(PYTHON)" -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

venv: $(BIN)/python

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

.env:
	cp .env.example .env
	@echo "Wrote .env from .env.example (development values)."

env: .env

migrate: install .env
	$(BIN)/python manage.py migrate --no-input

seed: migrate
	$(BIN)/python manage.py seed_demo --once --base-url http://$(HOST):$(PORT)
	$(BIN)/python manage.py seed_notifications

# Development only (seed_demo refuses with DEBUG off): erases every row, then seeds afresh.
reset-demo: migrate
	$(BIN)/python manage.py seed_demo --reset --no-input --base-url http://$(HOST):$(PORT)
	$(BIN)/python manage.py seed_notifications

# The web server, one worker and the scheduler together; Ctrl+C (or SIGTERM) stops all three:
# the worker and the scheduler run in the background, where Ctrl+C does not reach them (they
# leave an ignored SIGINT ignored), and stop on the SIGTERM sent when the web server exits.
run: seed
	@echo ""
	@echo "Taskdesk runs at http://$(HOST):$(PORT)/ (admin: http://$(HOST):$(PORT)/admin/)"
	@echo "with a background worker and the scheduler."
	@echo "Log in with a demo account printed above. Stop all three with Ctrl+C."
	@stop() { trap - INT TERM EXIT; kill -TERM $$pids 2>/dev/null; wait $$pids 2>/dev/null; }; \
	trap stop INT TERM EXIT; \
	$(BIN)/python manage.py worker & pids="$$!"; \
	$(BIN)/python manage.py scheduler & pids="$$pids $$!"; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	git ls-files -z '*.py' | xargs -0 $(BIN)/django-upgrade --target-version 6.1 --check

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install-dev lint
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install-dev
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache artifacts
