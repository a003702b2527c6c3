# Birge: `make run` serves the demo district on http://127.0.0.1:5000; `make test` runs every check.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# pytest-xdist workers: one per core, at most four (each has its own databases and queues).
TEST_WORKERS ?= auto --maxprocesses=4

.PHONY: run test lint typecheck pytest browser js translations bench bench-notifications bench-portal bench-intake clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# `make run PORT=8080` serves elsewhere; the demo's links and feed addresses follow the port.
PORT ?= 5000
run: $(STAMP)
	$(BIN)/birge db upgrade
	$(BIN)/birge demo --port $(PORT)
	$(BIN)/birge run --port $(PORT)

test: $(STAMP) browser js lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# The tests' files (SQLite databases, published feeds, instance folders, Chromium's profiles) go
# to memory where the machine has it: SQLite's syncs then cost nothing, and a shared machine's
# disk stalls neither slow nor fail a test. A run needs about 200 MB; 2 GB free are asked for.
TEST_TMPDIR ?= $(shell [ -w /dev/shm ] && [ "$$(df -Pk /dev/shm | awk 'NR==2 {print $$4}')" -gt 2000000 ] \
                 && echo /dev/shm || echo $${TMPDIR:-/tmp})

pytest: $(STAMP)
	TMPDIR=$(TEST_TMPDIR) $(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal --durations=20

# Browser tests drive Debian's chromium; install it where it is missing and we may.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium: browser tests will skip (or fail under BIRGE_REQUIRE_SERVICES=1)"; \
	  else \
	    echo "chromium is missing and cannot be installed here: browser tests will skip"; \
	  fi; }

# ical.js (Mozilla's calendar parser, the one Thunderbird uses) reads our feeds in
# tests/calendars/test_icaljs.py; npm installs the version tests/js/package-lock.json pins.
JS_STAMP := tests/js/node_modules/.package-lock.json

js: $(JS_STAMP)

$(JS_STAMP): tests/js/package.json tests/js/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's nodejs and npm for the ical.js test"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null) \
	      || echo "could not install node: the ical.js test will skip (or fail under BIRGE_REQUIRE_SERVICES=1)"; \
	  fi; }
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tests/js --no-audit --no-fund --loglevel=error \
	    || echo "could not install ical.js: its test will skip (or fail under BIRGE_REQUIRE_SERVICES=1)"; \
	else \
	  echo "npm is missing: the ical.js test will skip (or fail under BIRGE_REQUIRE_SERVICES=1)"; \
	fi

# Re-extract the message catalog and compile it (after changing user-facing text).
translations: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k N_ -k _l -o models/core/translations/messages.pot --no-location --omit-header .
	$(BIN)/pybabel -q update -i models/core/translations/messages.pot -d models/core/translations --no-fuzzy-matching
	$(BIN)/pybabel -q compile -d models/core/translations

# Benchmarks print figures; they are not tests and assert nothing.
bench: $(STAMP)
	$(BIN)/python bench/feeds.py
	$(BIN)/python bench/workdays.py
	$(BIN)/python bench/tasks_index.py  # PostgreSQL at 127.0.0.1 (or --server URL)

# The notification pipeline and the tick's cost; needs PostgreSQL and RabbitMQ (see README).
bench-notifications: $(STAMP)
	$(BIN)/python bench/notifications.py

# The portal under gunicorn with 100,000 meetings on PostgreSQL (needs wrk: apt-get install wrk).
bench-portal: $(STAMP)
	$(BIN)/python bench/portal.py

# The intake API's reports/s under gunicorn on PostgreSQL, beside a bare route that inserts one
# row (needs wrk: apt-get install wrk).
bench-intake: $(STAMP)
	$(BIN)/python bench/intake.py

# A national deployment (200 districts, a million outbox rows) beside one district: the tick per
# due item, the chair's home and the regional view at 32 clients, the next migration (needs wrk).
.PHONY: bench-national
bench-national: $(STAMP)
	$(BIN)/python bench/national.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info tests/js/node_modules
