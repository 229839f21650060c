"""Reads compiled to SQL once per worker, then run again with new values.

Building and compiling a queryset costs far more than running it on an indexed
table: a membership with its project takes 0.28 ms to build and compile and
0.02 ms to run on SQLite. The reads every request makes (its session, its
membership, the annotation it acts on) are each written once, as a function of
their values; the first call builds the queryset with stand-in values and
compiles it, and every later call puts the real values in the stand-ins'
places among the parameters and runs the same SQL.

A stand-in must reach the parameters as it was given (an int, a str, a
datetime), never inlined into the SQL nor rewritten (`icontains` wraps a
string in %...%, `iexact` escapes its wildcards): preparing such a query fails
at once, not with wrong rows. A query's default ordering is compiled in: a
read of one row says `.order_by()`.
Lists (IN), prefetches and related managers' querysets are not supported.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    ValuesListIterable,
    get_related_populators,
)
from django.db.transaction import TransactionManagementError


class NotPreparable(TypeError):
    """A queryset whose values cannot be put in place without compiling it."""


def _stand_in(kind: type, index: int):
    if kind is int:
        return 2_147_000_007 + index  # within a 32-bit integer column
    if kind is str:
        # Capitals, LIKE's wildcards and its escape, spaces at the ends: a
        # lookup or a call that would change a real value changes this too.
        return f" \ue000Prepared_%\\{index}\ue000 "
    if kind is datetime:
        return datetime(1901, 2, 3, 4, 5, 6, 100_001 + index, tzinfo=UTC)
    raise NotPreparable(f"A prepared query's values are int, str or datetime: {kind}")


def _adapted(value, connection):
    """A value as the ORM passes it to the database driver."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


@dataclass(frozen=True)
class _Plan:
    sql: str
    params: tuple
    slots: tuple[tuple[int, ...], ...]  # for each value, its places in params
    compiler: Any
    iterable: type
    alias: str
    for_update: bool

    def run(self, values: tuple) -> list:
        connection = connections[self.alias]
        if (
            self.for_update
            and connection.features.has_select_for_update
            and connection.get_autocommit()
        ):
            # As the ORM says when it compiles such a query: a lock taken
            # outside a transaction would be let go at once.
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = list(self.params)
        for places, value in zip(self.slots, values, strict=True):
            adapted = _adapted(value, connection)
            for place in places:
                params[place] = adapted
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        found = self.compiler.results_iter([rows])
        if self.iterable is FlatValuesListIterable:
            return [row[0] for row in found]
        if self.iterable is ValuesListIterable:
            return [tuple(row) for row in found]
        return self._instances(found)

    @functools.cached_property
    def _making(self) -> tuple:
        """How ModelIterable makes instances of the rows, worked out once from
        the compiler: the model, where its columns are and their names, the
        related rows' populators, the annotations' places."""
        compiler = self.compiler
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        first, last = fields[0], fields[-1] + 1
        return (
            klass_info["model"],
            first,
            last,
            [column[0].target.attname for column in select[first:last]],
            get_related_populators(klass_info, select, self.alias),
            list((compiler.annotation_col_map or {}).items()),
        )

    def _instances(self, rows) -> list[Model]:
        model, first, last, names, populators, annotations = self._making
        made = []
        for row in rows:
            instance = model.from_db(self.alias, names, row[first:last])
            for populator in populators:
                populator.populate(row, instance)
            for name, position in annotations:
                setattr(instance, name, row[position])
            made.append(instance)
        return made


class Prepared:
    """A read made by `make(shape, *values)`, compiled once per shape (what
    changes the SQL itself, such as a role) and run with `values` of `kinds`."""

    def __init__(self, make: Callable[..., QuerySet], *kinds: type) -> None:
        self.make = make
        self.kinds = kinds
        self._plans: dict[tuple, _Plan] = {}
        self._lock = threading.Lock()

    def __call__(self, *values, shape: Hashable = None) -> list:
        """The rows (model instances, or values_list's tuples or values)."""
        if len(values) != len(self.kinds):
            raise TypeError(f"{len(self.kinds)} values expected, {len(values)} given")
        plan = self._plans.get(shape)
        if plan is None:
            with self._lock:
                plan = self._plans.get(shape) or self._prepare(shape)
                self._plans[shape] = plan
        return plan.run(values)

    def one(self, *values, shape: Hashable = None):
        """The row, or None when there is none (at most one is expected)."""
        rows = self(*values, shape=shape)
        if len(rows) > 1:
            raise ValueError("A prepared read for one row found several.")
        return rows[0] if rows else None

    def _prepare(self, shape: Hashable) -> _Plan:
        stand_ins = [_stand_in(kind, n) for n, kind in enumerate(self.kinds)]
        queryset = self.make(shape, *stand_ins)
        if queryset._prefetch_related_lookups or queryset._known_related_objects:
            raise NotPreparable("Prefetches and related managers are not prepared.")
        if queryset._iterable_class not in (
            ModelIterable,
            ValuesListIterable,
            FlatValuesListIterable,
        ):
            raise NotPreparable("Only instances and values_list() are prepared.")
        alias = queryset.db
        connection = connections[alias]
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots = []
        for stand_in in stand_ins:
            adapted = _adapted(stand_in, connection)
            places = tuple(n for n, param in enumerate(params) if param == adapted)
            if not places:
                raise NotPreparable(
                    f"The value {stand_in!r} does not reach the query's parameters "
                    "as it was given."
                )
            slots.append(places)
        return _Plan(
            sql=sql,
            params=tuple(params),
            slots=tuple(slots),
            compiler=compiler,
            iterable=queryset._iterable_class,
            alias=alias,
            for_update=queryset.query.select_for_update,
        )

    def clear(self) -> None:
        """Compile again on the next call (a test that changes the database)."""
        self._plans.clear()
