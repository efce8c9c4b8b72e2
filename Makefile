# The two-command promise: `make run` and `make test` on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
# npm ci writes node_modules/.package-lock.json: newer than package-lock.json once installed.
NODE_STAMP := node_modules/.package-lock.json
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-pg lint fmt install checkers migrate demo bench

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

## checkers: npm ci for the page checkers of package.json (the Nu HTML Checker, axe-core);
# their tests skip without them (and fail under CI). --ignore-scripts: vnu-jar's postinstall would
# download a Java runtime; the machine's java runs the checker.
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && touch $(NODE_STAMP); \
	else echo "npm is missing: the HTML and accessibility checks will be skipped"; fi

checkers: $(NODE_STAMP)

migrate: install
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo load
	# Index what is not indexed yet (the outbox): everything after a first load, else nothing.
	$(FLASK) search sync

## run: install, migrate, load the demo data on first start, serve on http://127.0.0.1:5000
run: demo
	$(FLASK) run --host $(HOST) --port $(PORT)

## test: the whole suite (SQLite; set PEIXUN_TEST_DATABASE_URL for PostgreSQL)
test: install checkers
	$(BIN)/pytest $(PYTEST_ARGS)

## test-pg: the suite on a fresh database of the local PostgreSQL server
test-pg: install checkers
	PEIXUN_TEST_DATABASE_URL=$${PEIXUN_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} \
		$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bench: time the main pages on a generated community of 100,000 teachers (SQLite; see bench/README.md)
bench: install
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/resources.py
