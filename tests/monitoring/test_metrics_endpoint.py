"""``GET /metrics``: who may read it, and what one request adds to it (by view, not path)."""

import pytest

from tests.monitoring.scrape import TOKEN, families, parse, value

pytestmark = pytest.mark.django_db

AUTH = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def test_without_a_token_configured_metrics_does_not_exist(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", **AUTH).status_code == 404


@pytest.mark.parametrize(
    "header",
    [None, "Bearer salah", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"],
)
def test_a_scrape_without_the_right_bearer_token_is_401(client, settings, header):
    settings.METRICS_TOKEN = TOKEN
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"prakerja_" not in response.content


def test_the_token_holder_gets_the_prometheus_text_format(client, settings):
    settings.METRICS_TOKEN = TOKEN
    response = client.get("/metrics", **AUTH)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    found = families(response.content.decode())
    for name, kind in {
        "prakerja_http_requests": "counter",
        "prakerja_http_request_duration_seconds": "histogram",
        "prakerja_job_schedule_interval_seconds": "gauge",
        "prakerja_complaints_open": "gauge",
        "prakerja_metrics_source_up": "gauge",
    }.items():
        assert found.get(name) == kind, name


def test_requests_are_counted_by_view_name_and_status_never_by_path(client, settings):
    settings.METRICS_TOKEN = TOKEN
    before = parse(client.get("/metrics", **AUTH).content.decode())
    client.get("/healthz")
    client.get("/healthz")
    client.get("/tidak-ada/12345/")
    after = parse(client.get("/metrics", **AUTH).content.decode())

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("prakerja_http_requests_total", view="healthz", method="GET", status=200) == 2
    assert moved("prakerja_http_requests_total", view="unmatched", method="GET", status=404) == 1
    assert moved("prakerja_http_request_duration_seconds_count", view="healthz", method="GET") == 2
    # /healthz asks the database one question: each request is one observation of 1 query.
    assert moved("prakerja_http_request_db_queries_count", view="healthz") == 2
    assert moved("prakerja_http_request_db_queries_sum", view="healthz") >= 2
    assert not [key for key in after if "tidak-ada" in str(key)]


def test_every_response_carries_a_request_id_and_each_request_gets_its_own(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/tidak-ada/")["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_a_proxys_request_id_is_kept_only_when_trusted_and_well_formed(client, settings):
    proxy_id = "a1b2c3d4-e5f6-4711-8899-aabbccddeeff"
    assert client.get("/healthz", HTTP_X_REQUEST_ID=proxy_id)["X-Request-ID"] != proxy_id
    settings.TRUSTED_PROXY_COUNT = 1
    assert client.get("/healthz", HTTP_X_REQUEST_ID=proxy_id)["X-Request-ID"] == proxy_id
    for forged in ["x", "baris\nbaru-palsu-12345", "a" * 200, "<script>alert(1)</script>"]:
        answered = client.get("/healthz", HTTP_X_REQUEST_ID=forged)["X-Request-ID"]
        assert answered != forged and len(answered) == 32
