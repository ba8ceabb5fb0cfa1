"""Partner API v1 (django-ninja). ``api`` is mounted at ``api/partner/v1/`` in prakerja/urls.py."""

from trainings.api.main import api

__all__ = ["api"]
