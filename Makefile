# The README's two commands: `make demo` and `make test`. Every target is phony: the folders
# demo/ and bench/ share their names.
.PHONY: demo demo-prod load test lint messages migrations venv bench bench-lts bench-peer bench-compare clean

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
DEMO := $(PY) $(ROOT)/demo/manage.py

venv:
	$(ROOT)/scripts/ensure-venv $(VENV) main "Django>=6.1,<6.2"

demo: venv
	$(ROOT)/scripts/compile-messages $(PY)
	mkdir -p $(ROOT)/demo/var/mail $(ROOT)/demo/var/inbox/new $(ROOT)/demo/var/inbox/cur $(ROOT)/demo/var/inbox/tmp
	$(DEMO) migrate --noinput
	$(DEMO) support_demo
	@# Service levels: overdue notices, reminders and auto-close, as a cron job would, each minute.
	$(DEMO) support_run_sla
	@# Replies by e-mail: a file moved into demo/var/inbox/new/ reaches its ticket within 5 s.
	$(DEMO) support_fetch_mail --maildir $(ROOT)/demo/var/inbox --watch 5 & poller=$$!; \
		(while sleep 60; do $(DEMO) support_run_sla >/dev/null; done) & sla=$$!; \
		trap 'kill $$poller $$sla 2>/dev/null' EXIT INT TERM; \
		$(DEMO) runserver 127.0.0.1:8000

# The demo as a company runs it: PostgreSQL, Redis, a task worker, S3 (a local moto server) and
# two gunicorn app servers on 127.0.0.1:8001 and :8002 (docs/production.md).
demo-prod:
	$(ROOT)/scripts/ensure-venv $(VENV) main "Django>=6.1,<6.2" prod
	$(ROOT)/scripts/demo-prod

# Five minutes of locust against that profile, then the count of what it filed (bench/load/).
load:
	$(ROOT)/scripts/ensure-venv $(VENV) main "Django>=6.1,<6.2" prod,load
	$(ROOT)/scripts/load

test:
	$(ROOT)/scripts/run-tests

lint: venv
	$(VENV)/bin/ruff check $(ROOT)
	$(VENV)/bin/ruff format --check $(ROOT)
	cd $(ROOT) && $(VENV)/bin/lint-imports

# Refresh the Russian catalogue after changing strings; translate, then `make messages` again.
messages: venv
	cd $(ROOT)/avsoft_support && DJANGO_SETTINGS_MODULE=tests.settings PYTHONPATH=$(ROOT) \
		$(PY) -m django makemessages -l ru --no-obsolete --no-location
	$(ROOT)/scripts/compile-messages $(PY)

migrations: venv
	DJANGO_SETTINGS_MODULE=tests.settings PYTHONPATH=$(ROOT) $(PY) -m django makemigrations avsoft_support
	cd $(ROOT)/demo && $(PY) manage.py makemigrations home

# BENCH_N=10000,100000 for the full table (bench/RESULTS.md); DATABASE_URL for PostgreSQL.
bench:
	@# The prod extra: filing is also measured with its mail queued for django-tasks-db's worker.
	$(ROOT)/scripts/ensure-venv $(VENV) main "Django>=6.1,<6.2" prod
	$(PY) $(ROOT)/bench/run.py

# The same on the peer's stack, Python 3.11 and Django 5.2 (.venv-lts, as `make test` makes it):
# the comparison with `make bench-peer` without a difference of Python or Django in it.
bench-lts:
	$(ROOT)/scripts/ensure-venv $(ROOT)/.venv-lts lts "Django>=5.2,<5.3" prod
	$(ROOT)/.venv-lts/bin/python $(ROOT)/bench/run.py

# The peer of that table: django-helpdesk 2.6.1 in its own .venv-peer, same shape (bench/peer/).
bench-peer:
	$(ROOT)/bench/peer/setup
	$(ROOT)/.venv-peer/bin/python $(ROOT)/bench/peer/run.py

# Ours (on the peer's stack) and the peer measured in lockstep, round by round (bench/compare.py).
bench-compare:
	$(ROOT)/scripts/ensure-venv $(ROOT)/.venv-lts lts "Django>=5.2,<5.3" prod
	$(ROOT)/bench/peer/setup
	$(ROOT)/.venv-lts/bin/python $(ROOT)/bench/compare.py

clean:
	rm -rf $(ROOT)/demo/var $(ROOT)/build $(ROOT)/*.egg-info
