"""Queries of the busiest pages with their SQL built once per process: at the launch-day peak
the ORM's compile time was most of these requests' cost.

Building a query's SQL costs the ORM several times what PostgreSQL takes to answer a small
indexed lookup (a tenth of a millisecond), and the dashboard runs a few of them on every request:
the logged-in user, their wave history, their latest complaints. A ``PreparedQuery`` builds the
SQL of a queryset once per process and database, with marker values in place of its parameters,
and then only runs it with the request's values, turning rows into objects the way the ORM does
(``select_related`` included). Nothing is cached but the SQL: every call reads the rows afresh.

    history = PreparedQuery(
        lambda participant_id: Application.objects.filter(participant_id=participant_id)
        .select_related("wave")
        .order_by("-joined_at", "-id")
    )
    history.fetch(participant.pk, known={"participant": participant})

The queryset must be a plain model query (no ``values()``, ``prefetch_related`` or related
manager); the SQL is checked to carry every marker, or building it fails loudly.
"""

import threading
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators

# Parameter markers: values no real query passes.
_MARKERS = tuple(-(2**62) - n for n in range(8))


class _Compiled:
    def __init__(self, queryset: QuerySet, alias: str, markers: tuple):
        if queryset._iterable_class is not ModelIterable or queryset._prefetch_related_lookups:
            raise ValueError("PreparedQuery takes a plain model query")
        if queryset._known_related_objects:
            raise ValueError("PreparedQuery takes a query from a model's manager; pass known=")
        compiler = queryset.query.get_compiler(using=alias)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        self.positions = [
            [i for i, param in enumerate(self.params) if param == marker] for marker in markers
        ]
        if not all(self.positions):
            raise ValueError(f"a marker is missing from the query's parameters {params!r}")
        self.alias = alias
        self.compiler = compiler
        self.converters = compiler.get_converters([column[0] for column in compiler.select])
        klass_info = compiler.klass_info
        self.model = klass_info["model"]
        self.start = klass_info["select_fields"][0]
        self.end = klass_info["select_fields"][-1] + 1
        self.init_list = [
            column[0].target.attname for column in compiler.select[self.start : self.end]
        ]
        self.populators = get_related_populators(klass_info, compiler.select, alias)
        self.annotations = dict(compiler.annotation_col_map or {})

    def fetch(self, values: tuple, known: dict[str, Any]) -> list[Model]:
        params = list(self.params)
        for positions, value in zip(self.positions, values, strict=True):
            for position in positions:
                params[position] = value
        with connections[self.alias].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        objects = []
        for row in rows:
            obj = self.model.from_db(self.alias, self.init_list, row[self.start : self.end])
            for populator in self.populators:
                populator.populate(row, obj)
            for name, position in self.annotations.items():
                setattr(obj, name, row[position])
            for name, value in known.items():
                self.model._meta.get_field(name).set_cached_value(obj, value)
            objects.append(obj)
        return objects


class PreparedQuery:
    """``build(*markers)`` returns the queryset; ``fetch(*values)`` runs it with the values."""

    def __init__(self, build: Callable[..., QuerySet], *, arity: int = 1):
        self.build = build
        self.markers = _MARKERS[:arity]
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _for(self, alias: str | None) -> _Compiled:
        compiled = self._compiled.get(alias)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(alias)
                if compiled is None:
                    queryset = self.build(*self.markers)
                    db = alias or router.db_for_read(queryset.model) or DEFAULT_DB_ALIAS
                    compiled = _Compiled(queryset.using(db), db, self.markers)
                    self._compiled[alias] = compiled
        return compiled

    def fetch(self, *values, known: dict[str, Any] | None = None, using: str | None = None):
        """The rows for these parameter values, as model objects; ``known`` sets related objects
        the caller already holds (as a related manager does)."""
        return self._for(using).fetch(values, known or {})
