"""Project-wide response headers."""

from django.utils.cache import patch_cache_control


class PrivatePagesMiddleware:
    """Every page answered to a signed-in person is personal (their dashboard, complaints,
    trainings, the admin): ``Cache-Control: private, no-store`` keeps it out of shared caches
    and the browser's disk cache (a shared computer at a job centre)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
