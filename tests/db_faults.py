"""Database failures for the fault tests, made by the database itself (no mocks of our code)."""

from contextlib import contextmanager

import pytest
from django.db import connections

MESSAGE = "insert refused (test trigger)"


@contextmanager
def failing_inserts(model, using="default"):
    """Every INSERT into ``model``'s table fails in the database, as a full table space or a
    broken constraint would: a trigger, created here and dropped again on the way out (the test's
    transaction would drop it too). SQLite raises IntegrityError, PostgreSQL InternalError: both
    are DatabaseError, as a real failure is."""
    connection = connections[using]
    table = connection.ops.quote_name(model._meta.db_table)
    name = f"avs_test_refuse_{model._meta.db_table}"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"CREATE TRIGGER {name} BEFORE INSERT ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER {name} BEFORE INSERT ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
        else:
            pytest.skip(f"no test trigger for {connection.vendor}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
