# auditsite: `make run` to try it, `make test` to check it.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint format setup migrate demo test-postgres bench clean browser-deps

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# requirements-dev.txt includes requirements-demo.txt (moto for the demo S3 and
# the tests); production installs requirements.txt alone.
$(VENV)/.installed: $(BIN)/python requirements.txt requirements-demo.txt requirements-dev.txt verifier/pyproject.toml
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed

migrate: setup
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo --if-empty

## Serve the app and its django-q2 worker on SQLite, with demo data.
run: demo
	@echo "auditsite on http://127.0.0.1:$(PORT)/  (admin: http://127.0.0.1:$(PORT)/admin/)"
	$(BIN)/python manage.py devserver --port $(PORT)

## Lint and run every test (SQLite by default; DATABASE_URL=postgres://... for PostgreSQL),
## in TEST_WORKERS pytest-xdist processes, each with its own test database.
TEST_WORKERS ?= 2
test: setup browser-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/pytest -n $(TEST_WORKERS)

## The suite against the local PostgreSQL (what CI runs beside `make test`).
test-postgres: setup
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/test $(BIN)/pytest -n $(TEST_WORKERS)

## Headless Chromium for browser tests, from Debian (never downloaded by Playwright).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for browser tests"; \
		(apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || \
		 (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium chromium-driver >/dev/null 2>&1)) || \
		echo "chromium could not be installed; browser tests will be skipped"; }

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* var
