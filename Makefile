# The two commands for a fresh machine are `make run` and `make test` (see README.md).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Python 3.13 from PATH, or from pyenv (.python-version says 3.13).
PYTHON313 := $(shell command -v python3.13 2>/dev/null || (command -v pyenv >/dev/null && pyenv which python3.13 2>/dev/null) || ls $$HOME/.pyenv/versions/3.13*/bin/python3.13 2>/dev/null | tail -1)


.PHONY: screenshots run test install lint typecheck check-migrations test-sqlite test-postgres system-deps messages clean

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON313)" || { echo "Python 3.13 is required (pyenv install 3.13)"; exit 1; }
	test -x $(PY) || $(PYTHON313) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed
	$(PY) -m zabota compile_translations

run: install
	$(PY) -m zabota serve --host $(HOST) --port $(PORT)

# Debian packages the browser tests need; installed only when missing (CI runs as root).
system-deps:
	@if ! test -x /usr/bin/chromium || ! command -v xgettext >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core gettext >/dev/null; \
		else echo "Install Debian's chromium and gettext (sudo apt-get install chromium gettext) for the tests"; exit 1; fi; \
	fi

# Refresh the catalogues after changing UI strings, then translate the new entries. (-P: run in
# zabota/, "channels" must still be the library, not our zabota/channels package.)
messages: install
	cd zabota && ../$(PY) -P -m zabota makemessages -l ru -l pl -l hu --no-location --no-obsolete
	cd zabota && ../$(PY) -P -m zabota makemessages -d djangojs -l ru -l pl -l hu --no-location --no-obsolete
	$(PY) -m zabota compile_translations

lint: install
	$(VENV)/bin/ruff check zabota bench
	$(VENV)/bin/ruff format --check zabota bench

typecheck: install
	$(VENV)/bin/mypy zabota

check-migrations: install
	$(PY) -m zabota makemigrations --check --dry-run

test-sqlite: install system-deps
	$(VENV)/bin/pytest -q -n 2 --dist loadfile

test-postgres: install system-deps
	DATABASE_URL=$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/zabota} $(VENV)/bin/pytest -q -n 2 --dist loadfile

test: lint typecheck check-migrations test-sqlite test-postgres

# Refresh docs/screenshots/ from the browser tests.
screenshots: install system-deps
	ZABOTA_DOCS_SCREENSHOTS=1 $(VENV)/bin/pytest -q -m browser

clean:
	rm -rf $(VENV) var/static
