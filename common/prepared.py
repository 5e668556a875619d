"""A queryset's SQL built once per database connection and run again with new values.

Building and compiling a queryset costs the ORM far more than a small query costs the
database: for the one-request fetch (``GET /api/articles/{id}/?include=claims``) the
article's query took 1.1 ms to build and compile and 0.05 ms to run on SQLite, and the
three queries of a fetch (the token, the article, the claims) were ~2/3 of its CPU time.
``Prepared`` builds the queryset once (its values stand-ins, see below), keeps the SQL and
the compiler (whose converters turn the columns into Python values: dates, JSON), and then
runs only ``cursor.execute`` with the values put in their places::

    _ROLE = Prepared(
        lambda project, user: Membership.objects.filter(project_id=project, user_id=user)
        .values_list("role"),
        project=int,
        user=int,
    )
    _ROLE.rows(project=3, user=7)  # [("annotator",)]

The queryset is still the ORM's (its joins, its quoting, each database's SQL), and the rows
are what ``values_list`` gives. Its values are integers (ids) or strings (a key) that must
reach the SQL as parameters unchanged: each is built with a stand-in (a negative integer no
id takes, a string no key is) and found again among the compiled parameters; a value the
ORM folds into the SQL or transforms is refused at the first use (``ImproperlyConfigured``),
not answered wrongly. The compiled
query is kept on the connection object (one per thread, per database), so that each
database backend keeps its own SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import Model, QuerySet

# Stand-ins for the values: negative (no id is), within a 32-bit integer (Django answers a
# lookup on an ``AutoField`` with a value outside its range with an empty query, no SQL).
_STAND_IN = -1_987_654_321
_CACHE = "_claimdesk_prepared"


def _stand_ins(kinds: dict[str, type]) -> dict[str, Any]:
    return {
        name: _STAND_IN - i if kind is int else f"prepared stand-in {i} {_STAND_IN}"
        for i, (name, kind) in enumerate(kinds.items())
    }


class _Compiled:
    __slots__ = ("compiler", "converters", "params", "slots", "sql")

    def __init__(self, queryset: QuerySet[Any], stand_ins: dict[str, Any], alias: str) -> None:
        self.compiler = queryset.query.get_compiler(using=alias)
        sql, params = self.compiler.as_sql()
        self.sql, self.params = sql, list(params)
        self.slots: list[tuple[int, str]] = []
        for name, value in stand_ins.items():
            found = [i for i, p in enumerate(self.params) if type(p) is type(value) and p == value]
            if not found:
                raise ImproperlyConfigured(
                    f"Prepared query: the value {name!r} does not reach the SQL as a "
                    "parameter (folded into the SQL or transformed by the ORM)."
                )
            self.slots.extend((i, name) for i in found)
        # The converters ``values_list`` applies to the columns (dates, JSON: what
        # ``compiler.results_iter`` finds again for each query), found once.
        fields = [column[0] for column in self.compiler.select[: self.compiler.col_count]]
        if self.compiler.has_composite_fields(fields):
            raise ImproperlyConfigured("Prepared query: composite fields are not supported.")
        self.converters = self.compiler.get_converters(fields)


class Prepared:
    """``build(**values)`` (a ``values_list`` queryset) compiled once per connection;
    ``rows(**values)`` runs it with these values and gives its rows as tuples."""

    def __init__(self, build: Callable[..., QuerySet[Any]], **kinds: type) -> None:
        if any(kind not in (int, str) for kind in kinds.values()):
            raise TypeError("Prepared query: values are int or str")
        self.build = build
        self.kinds = kinds

    def _compiled(self, alias: str) -> _Compiled:
        connection = connections[alias]
        cache: dict[Prepared, _Compiled] = connection.__dict__.setdefault(_CACHE, {})
        compiled = cache.get(self)
        if compiled is None:
            stand_ins = _stand_ins(self.kinds)
            compiled = cache[self] = _Compiled(self.build(**stand_ins), stand_ins, alias)
        return compiled

    def rows(self, using: str = "default", **values: int | str) -> list[tuple[Any, ...]]:
        if values.keys() != self.kinds.keys():
            raise TypeError(f"Prepared query: values {sorted(values)}, expected {self.kinds}")
        compiled = self._compiled(using)
        params = list(compiled.params)
        for at, name in compiled.slots:
            value = values[name]
            if type(value) is not self.kinds[name]:
                raise TypeError(f"Prepared query: {name} must be {self.kinds[name]}: {value!r}")
            params[at] = value
        with connections[using].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            fetched = cursor.fetchall()
        if not compiled.converters:
            return [tuple(row) for row in fetched]
        return list(map(tuple, compiled.compiler.apply_converters(fetched, compiled.converters)))


@cache
def attnames(model: type[Model]) -> tuple[str, ...]:
    """The names of a model's columns as ``values_list`` and ``from_db`` take them."""
    return tuple(field.attname for field in model._meta.concrete_fields)


def instance[M: Model](model: type[M], values: tuple[Any, ...], using: str = "default") -> M:
    """A model instance from ``values`` (its ``attnames``, in that order), as the ORM
    builds one from a row."""
    return model.from_db(using, list(attnames(model)), values)
