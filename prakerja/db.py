"""Lean SQL for the writes on the partner API's hot path (docs/performance.md).

Building a statement through the ORM costs more CPU than the database spends running it: about
0.1-0.2 ms for an INSERT through ``save()`` and 0.3-0.7 ms for a SELECT with joins, on requests
whose whole budget is a few milliseconds (``scripts/profile_api.py`` measures it). These helpers
build their SQL once per model and keep the ORM's field conversions both ways, so a row written
here is the row ``save()`` would write, and an instance read here is the one a queryset gives.

``prakerja.prepared.PreparedQuery`` is the other half of the same idea: it builds a
queryset's SELECT once, for queries whose parameters are integers. The partner API's reads are
keyed by strings and UUIDs (a key, a payment id) or lock rows of two tables, so they are written
as SQL and turned into objects with :func:`from_row`.
"""

import functools

from django.db import connections, router
from django.db.models import Model


@functools.cache
def _insert_sql(model: type[Model], alias: str, conflict_field: str | None) -> tuple[str, tuple]:
    meta = model._meta
    returning = tuple(meta.db_returning_fields)
    fields = tuple(field for field in meta.local_concrete_fields if field not in returning)
    quote = connections[alias].ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    if conflict_field:
        sql += f" ON CONFLICT ({quote(meta.get_field(conflict_field).column)}) DO NOTHING"
    if returning:
        sql += f" RETURNING {', '.join(quote(f.column) for f in returning)}"
    return sql, fields


def insert(obj: Model, *, skip_if_taken: str | None = None) -> bool:
    """INSERT the unsaved ``obj`` in one statement and set its primary key, as
    ``obj.save(force_insert=True)`` would, without compiling the statement each time. Sends no
    ``pre_save``/``post_save`` signals (no model it is used for has receivers).

    With ``skip_if_taken`` (a field with a unique constraint), a row whose value is already taken
    is not inserted (``ON CONFLICT (field) DO NOTHING``, no error, so no savepoint is needed to
    recover): returns whether the row was inserted.
    """
    model = type(obj)
    alias = router.db_for_write(model)
    connection = connections[alias]
    sql, fields = _insert_sql(model, alias, skip_if_taken)
    values = [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
    returning = model._meta.db_returning_fields
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone() if returning else (() if cursor.rowcount == 1 else None)
    if row is None:
        return False
    for field, value in zip(returning, row, strict=True):
        setattr(obj, field.attname, value)
    obj._state.adding = False
    obj._state.db = alias
    return True


@functools.cache
def _converters(model: type[Model], attnames: tuple[str, ...], alias: str) -> tuple:
    connection = connections[alias]
    converters = []
    for index, attname in enumerate(attnames):
        col = model._meta.get_field(attname).get_col(model._meta.db_table)
        functions = [
            *connection.ops.get_db_converters(col),
            *col.get_db_converters(connection),
        ]
        if functions:
            converters.append((index, col, tuple(functions)))
    return tuple(converters)


def from_row(model: type[Model], attnames: tuple[str, ...], values, *, using: str = "default"):
    """A model instance from a row of raw SQL whose columns are ``attnames`` of ``model``, with
    the conversions the ORM applies (JSON, a custom field's from_db_value, ...). Fields not
    in ``attnames`` are deferred: they load from the database if read."""
    values = list(values)
    connection = connections[using]
    for index, col, functions in _converters(model, attnames, using):
        for convert in functions:
            values[index] = convert(values[index], col, connection)
    return model.from_db(using, attnames, values)
