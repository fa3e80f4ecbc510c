# e-Home: `make run` to try it, `make test` to check it. Everything installs itself.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test setup run-setup system-deps node-deps lint format lock bench migrate seed clean-var messages

$(STAMP): requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "需要 Python 3.11 ($(PYTHON) not found)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	@touch $(STAMP)

system-deps:
	@bin/system-deps

node-deps: package-lock.json
	@if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
		command -v npm >/dev/null || { echo "npm is missing: install Node.js 18+ (Debian package: nodejs npm)"; exit 1; }; \
		npm ci --no-audit --no-fund --loglevel=error; \
	fi

setup: $(STAMP) system-deps node-deps

# `make run` needs ffmpeg but not the browser used by the end-to-end tests.
run-setup: $(STAMP) node-deps
	@EHOME_SKIP_BROWSER=1 bin/system-deps

# Schema, then the set-up every install needs (groups, permissions, review workflow).
migrate: run-setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py ehome_setup

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	@bin/dev-run

# The suite runs in parallel (pytest-xdist, one worker per core; PYTEST_WORKERS=0 runs it in
# one process). Each worker has its own test database, var/test/<worker>/ and cache keys;
# tests sharing what cannot be split carry an xdist_group mark and run in one worker.
# lint-imports: the layers of pyproject.toml [tool.importlinter] (docs/architecture.md).
PYTEST_WORKERS ?= auto
test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/lint-imports --no-cache

format: setup
	$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

# Re-resolve dependencies from pyproject.toml into the hash-pinned lock file.
lock:
	@test -x $(VENV)/bin/pip-compile || $(PIP) install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --generate-hashes --extra dev --strip-extras -o requirements.lock pyproject.toml

bench: setup
	$(PY) -m bench $(BENCH_ARGS)

# Translations: the compiled .mo files are committed beside their .po (a clone runs
# without gettext); after editing a .po, recompile here (Debian package: gettext).
# tests/portal/test_chinese_ui.py fails when a .mo lags behind its .po.
messages:
	@command -v msgfmt >/dev/null || { echo "msgfmt is missing: apt-get install gettext"; exit 1; }
	@for po in locale/*/LC_MESSAGES/django.po */locale/*/LC_MESSAGES/django.po; do \
		msgfmt --check-format -o "$${po%.po}.mo" "$$po" || exit 1; done

clean-var:
	rm -rf var/
