"""Queries compiled once: the ORM's own SQL for a query of a fixed shape, kept and run again
with each request's values.

Compiling a select of many columns costs more than running it. The member's ticket with its
product, rating, author and the author's profile (some seventy columns) took 0.8 ms to build
and compile and 0.08 ms to run; the support page itself (routing._load_page), 0.6-0.9 ms to
compile (issue 12).

A ``KeptQuery`` builds its query with marks (values no row has) for its arguments and compiles
it, the first time a thread asks for it on a database. Each parameter of the SQL is then either
an argument (found by its mark) or a constant of the query. Later calls put their own values in
the arguments' places and run the same SQL. The rows become objects through the ORM's own
iterable, with the kept compiler's columns: related objects (``select_related``), annotations
and deferred fields come out as the ORM's query gives them.

Nothing is kept, and every call builds and compiles its query as before, when

- a mark does not come out as exactly one parameter (another Django's shape, or a mark that
  became part of an expression);
- the model's default manager filters or annotates: such a filter may hold a value of the
  moment (a date), which would be kept with the SQL;
- the query cannot be built with the marks (a user model whose ids are UUIDs refuses an
  integer mark).

The ``build`` function must not itself put a value of the moment in the query, and must give
the same shape for every value (no branch on a value): the SQL compiled for the marks is the
SQL run for every value. Compilers are kept per thread, for the thread's own connection.
"""

import threading
from datetime import date, timedelta

from django.db import connections, router
from django.db.models.query import QuerySet
from django.db.models.sql import Query

# Values no row has: ids are positive, no text column holds a NUL, and no date of a desk's
# calendar lies in the first century.
MARK_ID = -987_654_321
MARK_TEXT = "\x00avsoft-support-mark"
MARK_DATE = date(1, 1, 1)
KINDS = ("id", "text", "date")


def _marks(kinds):
    """A distinct mark for each value: an id, a text or a date, as ``kinds`` says."""
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"Unknown kinds of value: {sorted(unknown)}")
    return [
        MARK_ID - index
        if kind == "id"
        else MARK_DATE + timedelta(days=index)
        if kind == "date"
        else f"{MARK_TEXT}-{index}"
        for index, kind in enumerate(kinds)
    ]


def _adapters(kinds, connection):
    """How each value reaches the SQL's parameters on ``connection``: a date as the backend
    adapts it (SQLite: a text), anything else as it is."""
    return [connection.ops.adapt_datefield_value if kind == "date" else None for kind in kinds]


def parameter_sources(params, marks, adapters=None):
    """For each SQL parameter, ("arg", i) when it is ``marks[i]`` (adapted by ``adapters[i]``
    when given), else ("value", param); None unless every mark is exactly one parameter."""
    forms = [
        mark if adapt is None else adapt(mark)
        for mark, adapt in zip(marks, adapters or [None] * len(marks), strict=True)
    ]
    sources = []
    for param in params:
        index = next(
            (i for i, form in enumerate(forms) if type(param) is type(form) and param == form),
            None,
        )
        sources.append(("value", param) if index is None else ("arg", index))
    found = sorted(value for kind, value in sources if kind == "arg")
    return sources if found == list(range(len(marks))) else None


def _manager_is_plain(model):
    """Whether the model's default manager neither filters nor annotates."""
    base = model._default_manager.all().query
    return not (base.where or base.annotations or base.extra)


class _KeptSQL(Query):
    """The query a kept queryset carries: its compiler is the kept one."""

    def __init__(self, model, compiler):
        super().__init__(model)
        self.kept_compiler = compiler

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        return self.kept_compiler


class KeptQuery:
    """A query of one shape whose SQL is compiled once per thread and database.

    ``build(*values)`` returns the queryset for these values; ``kinds`` says of each value
    whether it is an id, a text or a date (its mark's kind).
    """

    def __init__(self, model, build, kinds):
        self.model = model
        self.build = build
        self.kinds = tuple(kinds)
        _marks(self.kinds)  # an unknown kind fails here, not at the first request
        self._local = threading.local()

    def _entry(self, db):
        entries = self._local.__dict__.setdefault("entries", {})
        connection = connections[db]
        entry = entries.get(db)
        if entry is None or entry[0] is not connection:
            entry = entries[db] = (connection, self._compile(db))
        return entry[1]

    def _compile(self, db):
        if not _manager_is_plain(self.model):
            return None
        marks = _marks(self.kinds)
        try:
            compiler = self.build(*marks).using(db).query.get_compiler(db)
            sql, params = compiler.as_sql()
        except Exception:  # e.g. a user model whose ids are UUIDs refuses an integer mark
            return None  # then the ORM's query every time, which is always right
        adapters = _adapters(self.kinds, connections[db])
        sources = parameter_sources(params, marks, adapters)
        if sources is None:
            return None
        sources = [
            (kind, value, adapters[value] if kind == "arg" else None) for kind, value in sources
        ]
        return compiler, sql, sources, _KeptSQL(self.model, compiler)

    def kept_on(self, db):
        """Whether this thread holds the compiled SQL for ``db`` (it compiles on first use)."""
        entry = self._local.__dict__.get("entries", {}).get(db)
        return entry is not None and entry[0] is connections[db] and entry[1] is not None

    def list(self, *values, using=None):
        """The objects the built query gives for ``values``."""
        db = using or router.db_for_read(self.model)
        kept = self._entry(db)
        if kept is None:
            return list(self.build(*values).using(db))
        compiler, sql, sources, query = kept
        params = [
            value if kind == "value" else values[value] if adapt is None else adapt(values[value])
            for kind, value, adapt in sources
        ]
        # The compiler's columns, converters and related objects were set up by its one
        # compilation; only the SQL's parameters change.
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        return list(QuerySet(model=self.model, query=query, using=db))

    def first(self, *values, using=None):
        found = self.list(*values, using=using)
        return found[0] if found else None
