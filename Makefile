# Quick start: `make run` (install, migrate, load the demo city, serve on 127.0.0.1:5000)
#              `make test` (install, run every test).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export FLASK_APP := wsgi

.PHONY: install run test browser-deps clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# The jobs worker runs beside the dev server (on the SQLite queue file under instance/, or on Redis
# when JOBS_REDIS_URL is set) and stops with it.
run: install
	$(BIN)/flask init-db
	$(BIN)/flask seed-demo
	$(BIN)/flask jobs-worker & worker=$$!; \
	  trap 'kill -INT $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	  SESSION_COOKIE_SECURE=0 $(BIN)/flask run --host 127.0.0.1 --port 5000

# Browser tests drive Debian's Chromium; Playwright cannot download a browser here.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

test: install browser-deps
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
