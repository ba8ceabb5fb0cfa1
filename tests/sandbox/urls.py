"""The portal's URLs with the sandbox mounted, as prakerja/urls.py does when SANDBOX is on."""

from django.urls import include, path

from prakerja.urls import urlpatterns as portal_urlpatterns

urlpatterns = [
    *(p for p in portal_urlpatterns if str(p.pattern) != "sandbox/"),
    path("sandbox/", include("sandbox.urls")),
]
