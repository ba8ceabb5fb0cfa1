"""The authentication backend: Django's ModelBackend, with the logged-in user fetched together
with their participant record (and its wave), since nearly every page needs both.

Without it a participant page pays one query for ``request.user`` and another for the
participant; with it ``user.participant`` is already there (or known to be absent, for staff).

The query runs on every logged-in request, and building its SQL (some 70 columns over three
tables) cost the ORM several times what PostgreSQL takes to answer it (issue 14). So the SQL and
the recipe for turning a row into objects are built once per process and database, the way the
ORM builds them for ``select_related``; each request only runs the query. Nothing about the person
is kept: every request reads their row afresh.
"""

import threading

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models.query import get_related_populators

RELATED = ("participant", "participant__wave")


class _UserQuery:
    """The compiled ``select_related(*RELATED).filter(pk=...)[:1]`` of one database."""

    def __init__(self, user_model, alias: str):
        sentinel = -1
        queryset = (
            user_model._default_manager.using(alias)
            .select_related(*RELATED)
            .filter(pk=sentinel)[:1]
        )
        compiler = queryset.query.get_compiler(using=alias)
        self.sql, params = compiler.as_sql()
        if tuple(params) != (sentinel,):
            raise ValueError(f"unexpected parameters {params!r}")
        self.alias = alias
        self.model = user_model
        self.compiler = compiler
        self.converters = compiler.get_converters([column[0] for column in compiler.select])
        klass_info = compiler.klass_info
        self.start = klass_info["select_fields"][0]
        self.end = klass_info["select_fields"][-1] + 1
        self.init_list = [
            column[0].target.attname for column in compiler.select[self.start : self.end]
        ]
        self.populators = get_related_populators(klass_info, compiler.select, alias)

    def get(self, user_id):
        pk_field = self.model._meta.pk
        connection = connections[self.alias]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [pk_field.get_db_prep_value(user_id, connection)])
            row = cursor.fetchone()
        if row is None:
            return None
        if self.converters:
            row = next(iter(self.compiler.apply_converters([row], self.converters)))
        user = self.model.from_db(self.alias, self.init_list, row[self.start : self.end])
        for populator in self.populators:
            populator.populate(row, user)
        return user


_queries: dict[tuple, _UserQuery] = {}
_lock = threading.Lock()


def _user_query(user_model) -> _UserQuery:
    alias = router.db_for_read(user_model) or DEFAULT_DB_ALIAS
    key = (user_model, alias)
    query = _queries.get(key)
    if query is None:
        with _lock:
            query = _queries.get(key) or _UserQuery(user_model, alias)
            _queries[key] = query
    return query


class UserWithParticipantBackend(ModelBackend):
    def get_user(self, user_id):
        user = _user_query(get_user_model()).get(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
