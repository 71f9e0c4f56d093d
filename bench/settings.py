"""The benchmark's settings: the test suite's, plus the database task queue of the production
profile (django-tasks-db, as `make demo-prod` runs it), so that filing can be measured both
ways: with its mail sent in the request (Django's immediate backend, the default) and handed
to the worker's queue."""

import os

from tests.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "django_tasks_db"]  # noqa: F405
if DJANGO_VERSION < (6, 0):  # noqa: F405
    INSTALLED_APPS.append("django_tasks")  # the backport the database backend runs on

QUEUED_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# `make bench` measures each size in a process of its own (bench/run.py); on PostgreSQL each
# needs a test database of its own beside the others.
if os.environ.get("BENCH_DB_SUFFIX") and DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    _name = DATABASES["default"]["NAME"]  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": f"test_{_name}_{os.environ['BENCH_DB_SUFFIX']}"}  # noqa: F405
