"""The authentication backend: Django's ModelBackend, with the logged-in user fetched together
with their participant record (and its wave), since nearly every page needs both.

Without it a participant page pays one query for ``request.user`` and another for the
participant; with it ``user.participant`` is already there (or known to be absent, for staff).
"""

from django.contrib.auth.backends import ModelBackend


class UserWithParticipantBackend(ModelBackend):
    def get_user(self, user_id):
        from django.contrib.auth import get_user_model

        user_model = get_user_model()
        user = (
            user_model._default_manager.select_related("participant", "participant__wave")
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None
