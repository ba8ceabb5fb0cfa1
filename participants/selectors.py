"""Reads for participants; each owns its select_related/prefetch_related."""

from participants.models import Participant


def participant_for_user(*, user) -> Participant | None:
    """The participant record of a logged-in user, or ``None`` (staff, new accounts)."""
    return Participant.objects.select_related("user", "wave").filter(user=user).first()
