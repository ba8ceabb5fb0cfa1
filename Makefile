# The README's two commands: `make run` and `make test`. Nothing else needs installing by hand.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format venv demo worker beat clean bench loadtest

# The development venv: what production runs (requirements.txt) plus tests, tooling and the
# embedded PostgreSQL (requirements-dev.txt, which includes requirements.txt).
$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

venv: $(STAMP)

## make run: migrate, load demo data, serve http://127.0.0.1:8000/ with a Celery worker and beat.
run: $(STAMP)
	@mkdir -p .run/broker/queue .run/broker/control
	DEBUG=$${DEBUG:-1} SANDBOX=$${SANDBOX:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} SANDBOX=$${SANDBOX:-1} $(PY) manage.py seed_demo
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" DEBUG=$${DEBUG:-1} SANDBOX=$${SANDBOX:-1} exec $(VENV)/bin/honcho start -f Procfile.dev

## make test: the whole suite on PostgreSQL: DATABASE_URL, else 127.0.0.1:5432 when it answers,
## else the embedded server under .run/ (scripts/pick_database.py). Redis: REDIS_URL, else a
## redis-server of its own on a free port when one is installed, else tests marked 'redis' skip.
test: $(STAMP)
	@url="$$($(PY) scripts/pick_database.py)" || exit 1; \
	if [ -z "$$REDIS_URL" ] && command -v redis-server >/dev/null; then \
	  port="$$($(PY) -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"; \
	  redis-server --bind 127.0.0.1 --port "$$port" --save "" --appendonly no --loglevel warning >/dev/null & \
	  redis_pid=$$!; trap 'kill $$redis_pid' EXIT; \
	  for _ in $$(seq 50); do redis-cli -p "$$port" ping >/dev/null 2>&1 && break; sleep 0.1; done; \
	  export REDIS_URL="redis://127.0.0.1:$$port/0"; \
	fi; \
	if [ -n "$$REDIS_URL" ]; then echo "make test: redis $$REDIS_URL"; \
	else echo "make test: no REDIS_URL and no redis-server to start: tests marked 'redis' are skipped"; fi; \
	DATABASE_URL="$$url" $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	-@test -x $(PY) && $(PY) -m prakerja.embedded_db stop
	rm -rf .run test-artifacts staticfiles

## make loadtest: the launch-day load test (docs/performance.md). Not part of `make test`
## or CI. Needs PostgreSQL and Redis running; uses (and empties) LOADTEST_DATABASE_URL.
LOAD_STAMP := $(VENV)/.installed-load
$(LOAD_STAMP): $(STAMP) requirements-load.txt
	$(PY) -m pip install --quiet -r requirements-load.txt
	@touch $(LOAD_STAMP)

loadtest: $(LOAD_STAMP)
	DATABASE_URL="$${LOADTEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/prakerja_loadtest}" \
	REDIS_URL="$${LOADTEST_REDIS_URL:-$${REDIS_URL:-redis://127.0.0.1:6379/0}}" \
	$(PY) scripts/loadtest.py $(LOADTEST_ARGS)
