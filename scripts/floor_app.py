"""The floor for `make loadtest`: the least a Django view can cost on this machine.

A Django project in one file, served by the same gunicorn as the portal against the same
database: ``/bare`` answers without touching anything, ``/one-query`` reads one row by primary
key (an indexed query, like the first thing any portal page does). The portal's figures are
quoted as ratios to these, measured in the same run.

    DATABASE_URL=postgres://... gunicorn --chdir scripts floor_app:application
"""

import os
import random

import environ
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.http import HttpResponse
from django.urls import path

env = environ.Env()

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY=os.environ.get("SECRET_KEY", "floor-app-not-secret"),
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        DATABASES={
            "default": {
                **env.db_url_config(os.environ["DATABASE_URL"]),
                "CONN_MAX_AGE": 60,
                "CONN_HEALTH_CHECKS": True,
            }
        },
        USE_TZ=True,
    )

MAX_ID = int(os.environ.get("FLOOR_MAX_USER_ID", "1000"))


def bare(request):
    return HttpResponse(b"ok", content_type="text/plain")


def one_query(request):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, email FROM participants_user WHERE id = %s", [random.randint(1, MAX_ID)]
        )
        row = cursor.fetchone()
    return HttpResponse(str(row[0] if row else 0).encode(), content_type="text/plain")


urlpatterns = [path("bare", bare), path("one-query", one_query)]

application = get_wsgi_application()
