"""The authentication backend: Django's ModelBackend, with the logged-in user fetched together
with their participant record (and its wave), since nearly every page needs both.

Without it a participant page pays one query for ``request.user`` and another for the
participant; with it ``user.participant`` is already there (or known to be absent, for staff).

The query runs on every logged-in request, and building its SQL (some 70 columns over three tables)
cost the ORM several times what PostgreSQL takes to answer it (docs/performance.md), so its SQL is
built once per process (``prakerja.prepared``). Every request reads the person's row afresh.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from prakerja.prepared import PreparedQuery

_user_with_participant = PreparedQuery(
    lambda pk: (
        get_user_model()
        ._default_manager.select_related("participant", "participant__wave")
        .filter(pk=pk)[:1]
    )
)


class UserWithParticipantBackend(ModelBackend):
    def get_user(self, user_id):
        pk = get_user_model()._meta.pk.to_python(user_id)
        users = _user_with_participant.fetch(pk)
        user = users[0] if users else None
        return user if user is not None and self.user_can_authenticate(user) else None
