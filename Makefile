# Quick start: `make run` (install, migrate, load the demo city, serve on 127.0.0.1:5000)
#              `make test` (install, run every test).
# `make lint` runs ruff and mypy; `make lock` regenerates requirements.lock after a pin changes.
PYTHON ?= python3
# Two test processes (pytest-xdist) on a 2-core machine; each file stays in one process.
PYTEST_ARGS ?= -n auto --dist loadfile
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export FLASK_APP := wsgi

# requirements.lock pins every package, direct or not, with the sha256 of each file PyPI has for it.
# It is compiled from PyPI alone (no local wheel folder, no machine constraint file), so it installs
# the same on a fresh machine.
PIP_TOOLS := pip-tools==7.6.2
COMPILE   := CUSTOM_COMPILE_COMMAND="make lock" PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= PIP_CONSTRAINT= $(BIN)/pip-compile --quiet \
             --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
             --output-file requirements.lock requirements-dev.txt
# Every pin of requirements*.txt must be in the lock, or the install stops and says `make lock`.
LOCK_CHECK := $(PYTHON) -c "import re, sys; \
pins = lambda f: {(m[1].lower().replace('_', '-').replace('.', '-'), m[2]) for m in \
re.finditer(r'^([A-Za-z0-9_.-]+)(?:\[[^]]*\])?==(\S+)', open(f).read(), re.M)}; \
stale = (pins('requirements.txt') | pins('requirements-dev.txt')) - pins('requirements.lock'); \
stale and sys.exit('requirements.lock lacks ' + ', '.join(n + '==' + v for n, v in sorted(stale)) + ': run make lock')"

.PHONY: install run test lint lock browser-deps clean

$(STAMP): requirements.txt requirements-dev.txt requirements.lock
	@$(LOCK_CHECK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
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
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy scoring imports models

# Keeps the pins already in the lock and adds what requirements*.txt now asks for (a changed pin is
# re-resolved); `make lock UPGRADE=1` re-resolves everything to the newest allowed releases.
lock:
	@test -x $(BIN)/pip-compile || { $(PYTHON) -m venv $(VENV) && $(BIN)/pip install --quiet $(PIP_TOOLS); }
	$(COMPILE) $(if $(UPGRADE),--upgrade)

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
