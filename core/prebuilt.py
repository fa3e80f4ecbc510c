"""Querysets compiled to SQL once per *shape*, their parameters filled on every call.

Building a queryset and compiling it through the ORM can cost more CPU than running it:
on the news feed it was ~30 % of a full answer, for SQL that differs between two readers
only in its parameter values. `rows(shape, build, args)` runs `build(*args)` — a function
returning a queryset — without the ORM work on all calls but the first of each shape:

- the first call of a shape (per database connection object, i.e. per thread) compiles
  `build` twice, with two sets of *marker* arguments of the same types as `args`, every
  marker distinct. The SQL must come out the same both times; every parameter that
  differs is traced to the one argument it comes from and to how the ORM prepared it (as
  is, as a `LIKE` prefix pattern — `startswith` — or as a date adapted for the
  database); the tracing must reproduce the second set's parameters exactly;
- every call then executes that SQL with the parameters prepared from `args` — on
  PostgreSQL as a server-side prepared statement (`core.db.fetchall_prepared`: parsed
  and planned once per connection; planning the news feed's list query took longer than
  running it) — and converts the rows with the compiler's own converters: the rows
  `.values_list()` gives.

So the caller's shape must cover everything that changes the SQL text rather than a
parameter (list lengths, which filters apply, the LIMIT). A shape that cannot be traced —
an argument of another type, a parameter that matches no argument or more than one, a
filter the ORM answers without SQL (an empty `IN`) — is not prebuilt: `rows` returns
None and the caller runs its queryset through the ORM. The tests of each caller compare
the prebuilt answer with the ORM's for the shapes they use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import DEFAULT_DB_ALIAS, connections

from core.db import fetchall_prepared

#: shapes kept per connection; more are compiled again (a bound, not a working-set size:
#: a feed has a few dozen shapes)
MAX_SHAPES = 512
_NOT_PREBUILT = object()
_ATTR = "_ehome_prebuilt"


def _marker(value, i: int, which: int):
    """A value of `value`'s type, distinct for each (argument i, marker set which)."""
    if isinstance(value, bool):
        return (i + which) % 2 == 0  # two bools at most trace apart (checked below)
    if isinstance(value, int):
        return 10**12 + 2 * i + which
    if isinstance(value, str):
        return f"\x1f{i}{'ab'[which]}\x1f"  # nothing a LIKE pattern escapes
    if type(value) is dt.date:
        return dt.date(1901, 1, 1) + dt.timedelta(days=2 * i + which)
    return _NOT_PREBUILT


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b


def _preparations(connection) -> tuple[Callable, ...]:
    ops = connection.ops

    def as_is(v):
        return v

    def like_prefix(v):  # Django's StartsWith: param_pattern "%s%%"
        return ops.prep_for_like_query(v) + "%" if isinstance(v, str) else _NOT_PREBUILT

    def date(v):
        return ops.adapt_datefield_value(v) if type(v) is dt.date else _NOT_PREBUILT

    return as_is, like_prefix, date


class _Shape:
    __slots__ = ("compiler", "converters", "names", "params", "sql")

    def __init__(self, sql, params, compiler, converters):
        self.sql, self.params, self.compiler, self.converters = sql, params, compiler, converters
        query = compiler.query  # the names ValuesIterable gives a values() row
        self.names = (
            list(query.selected)
            if query.selected
            else [*query.extra_select, *query.values_select, *query.annotation_select]
        )


def _compile(build, args, using):
    query = build(*args).query
    compiler = query.get_compiler(using)
    sql, params = compiler.as_sql()
    return sql, list(params), compiler


def _prebuild(build, args: Sequence, using: str, connection):
    markers = [[_marker(a, i, w) for i, a in enumerate(args)] for w in (0, 1)]
    if any(m is _NOT_PREBUILT for m in markers[0]):
        return None
    try:
        sql_a, params_a, compiler = _compile(build, markers[0], using)
        sql_b, params_b, _ = _compile(build, markers[1], using)
    except (EmptyResultSet, FullResultSet):
        return None
    if sql_a != sql_b or len(params_a) != len(params_b):
        return None
    preparations = _preparations(connection)
    slots = []  # (None, constant) or (argument index, preparation)
    for pa, pb in zip(params_a, params_b, strict=True):
        if _same(pa, pb):
            slots.append((None, pa))
            continue
        found = [
            (i, prep)
            for prep in preparations
            for i in range(len(args))
            if _same(prep(markers[0][i]), pa) and _same(prep(markers[1][i]), pb)
        ]
        if len(found) != 1:
            return None
        slots.append(found[0])
    if _fill(slots, markers[1]) != params_b:
        return None
    fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
    if compiler.has_composite_fields(fields):
        return None
    return _Shape(sql_a, slots, compiler, compiler.get_converters(fields))


def _fill(slots, args) -> list:
    return [value if i is None else value(args[i]) for i, value in slots]


def rows(
    shape, build: Callable, args: Sequence, *, as_dicts: bool = False, using: str = DEFAULT_DB_ALIAS
):
    """The rows of `build(*args)` converted like the ORM's — tuples, or with `as_dicts`
    the dicts of a ``.values()`` queryset — or None when that shape is not prebuilt (run
    the queryset instead). `shape` (hashable) must determine the SQL text; `args` are
    the values that vary within it."""
    connection = connections[using]
    shapes = getattr(connection, _ATTR, None)
    if shapes is None:
        shapes = {}
        setattr(connection, _ATTR, shapes)
    key = (shape, tuple(type(a) for a in args))
    entry = shapes.get(key)
    if entry is None:
        if len(shapes) >= MAX_SHAPES:
            shapes.clear()
        entry = shapes[key] = _prebuild(build, args, using, connection) or _NOT_PREBUILT
    if entry is _NOT_PREBUILT:
        return None
    params = _fill(entry.params, args)
    if connection.vendor == "postgresql":
        # parsed and planned once per connection, not on every request (core.db)
        fetched = fetchall_prepared(entry.sql, params, using=using)
    else:
        with connection.cursor() as cursor:
            cursor.execute(entry.sql, params)
            fetched = cursor.fetchall()
    if entry.converters:
        fetched = entry.compiler.apply_converters(fetched, entry.converters)
    if as_dicts:
        names = entry.names
        return [dict(zip(names, r, strict=True)) for r in fetched]
    return [tuple(r) for r in fetched]
