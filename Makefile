# The two commands of the README, and the few a developer uses besides.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint format messages clean compliance

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Install everything (Debian's chromium for the PDFs too, when root), prepare the database, load the demo city and
## its history (generated on the first start only) and run web + worker + beat.
demo: $(STAMP)
	-bin/ensure-chromium
	$(PY) -m stationnet.devstack demo

## Run the linters (ruff, the import contracts) and the whole test suite against a real PostgreSQL (configured, else embedded).
test: $(STAMP)
	bin/ensure-chromium
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m stationnet.devstack test $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Extract UI strings and compile the zh-hans catalogue (needs GNU gettext).
messages: $(STAMP)
	cd $(CURDIR) && $(PY) manage.py makemessages --locale zh_Hans --ignore '.venv/*' --ignore 'var/*' --no-obsolete
	$(PY) manage.py compilemessages --locale zh_Hans --ignore '.venv/*'

clean:
	rm -rf var/broker var/static var/mail

## Regenerate docs/compliance.md from the tests' clause marks.
compliance: $(STAMP)
	$(PY) -m stationnet.devstack test --collect-only -q --write-compliance
