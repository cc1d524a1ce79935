# Everything installs into .venv on first use; `make demo` and `make test` are all a fresh clone needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test test-sqlite test-postgres test-far-tz lint format run bench bench-load clean

$(BIN)/accountbot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

demo: $(BIN)/accountbot  ## seed the sample portfolio into ./accountbot.db and print what Slack shows
	$(BIN)/accountbot demo

test: lint  ## lint, then every test on SQLite and on a throwaway PostgreSQL
	$(BIN)/pytest
	$(MAKE) --no-print-directory test-postgres

test-sqlite: lint
	$(BIN)/pytest

test-postgres: $(BIN)/accountbot  ## the whole suite against PostgreSQL (installed and started if needed)
	@set -e; url=$$(scripts/postgres start); trap 'scripts/postgres stop' EXIT; \
	echo "running the suite on $$url"; TEST_DATABASE_URL=$$url $(BIN)/pytest

# A zone whose date differs from UTC's right now (UTC+14 from 10:00 UTC, UTC-12 before noon UTC),
# so a test that mixes the machine's local date with the bot's UTC date fails whenever it runs.
FAR_TZ = $(shell $(PYTHON) -c 'import datetime as d; print("Pacific/Kiritimati" if d.datetime.now(d.timezone.utc).hour >= 10 else "Etc/GMT+12")')

# It also runs a day behind the real clock (tests/clock), so the held clock that keeps a late run
# on one date is exercised in every CI run, in the processes the tests start too.
test-far-tz: $(BIN)/accountbot  ## the suite on SQLite in a time zone whose date is not UTC's, a day behind
	@echo "running the suite with TZ=$(FAR_TZ), a day behind"; \
	TZ=$(FAR_TZ) ACCOUNTBOT_TESTS_DAYS_BEHIND=1 $(BIN)/pytest

lint: $(BIN)/accountbot  ## ruff, the import contracts (layers point one way; see ARCHITECTURE.md), mypy --strict
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(BIN)/accountbot
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

run: $(BIN)/accountbot  ## serve Slack (needs SLACK_BOT_TOKEN and a signing secret or app token)
	$(BIN)/accountbot run

bench: $(BIN)/accountbot
	$(BIN)/python -m bench.run

bench-load: $(BIN)/accountbot  ## 50 signed /account requests in flight for 60 s against one `accountbot run`
	$(BIN)/python -m bench.load

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache
