"""Counters and histograms of one web process (see the package text): every request, its
database work, partner API calls and OTPs.

Labels stay few and bounded: a view is its URL name (never a path), a partner platform its code,
an error its stable code. Nothing here imports an app, so any app may call these.
"""

from prometheus_client import CollectorRegistry, Counter, Histogram

# Metrics of this module only; the scrape (``views.metrics``) reads it, or in multiprocess mode
# the files every process writes.
REGISTRY = CollectorRegistry(auto_describe=True)

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
QUERY_BUCKETS = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89)
DATABASE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

HTTP_REQUESTS = Counter(
    "prakerja_http_requests",
    "HTTP requests answered, by view (URL name), method and status code.",
    ["view", "method", "status"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "prakerja_http_request_duration_seconds",
    "Time from the request's arrival in Django to its response, by view and method.",
    ["view", "method"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
HTTP_DB_QUERIES = Histogram(
    "prakerja_http_request_db_queries",
    "Database queries made by one request, by view.",
    ["view"],
    buckets=QUERY_BUCKETS,
    registry=REGISTRY,
)
HTTP_DB_SECONDS = Histogram(
    "prakerja_http_request_db_seconds",
    "Time one request waited for the database, by view.",
    ["view"],
    buckets=DATABASE_BUCKETS,
    registry=REGISTRY,
)
PARTNER_API = Counter(
    "prakerja_partner_api_requests",
    "Partner API calls by platform code, operation, status and stable code (ok on success).",
    ["platform", "operation", "status", "code"],
    registry=REGISTRY,
)
OTP_EVENTS = Counter(
    "prakerja_otp_events",
    "One-time passwords by use (phone, payment, payout account) and event: sent (issued), "
    "verified, failed (a wrong code), locked (the wrong code that locked it), expired, "
    "rate_limited (a new code refused).",
    ["purpose", "event"],
    registry=REGISTRY,
)

_METHODS = frozenset({"GET", "POST", "HEAD"})
# The four children of one (view, method, status): looked up once, not on every request.
_request_children: dict[tuple[str, str, str], tuple] = {}


def observe_request(
    *, view: str, method: str, status: int, seconds: float, queries: int, db_seconds: float
) -> None:
    method = method if method in _METHODS else "other"
    key = (view, method, str(status))
    children = _request_children.get(key)
    if children is None:
        children = _request_children[key] = (
            HTTP_REQUESTS.labels(*key),
            HTTP_DURATION.labels(view, method),
            HTTP_DB_QUERIES.labels(view),
            HTTP_DB_SECONDS.labels(view),
        )
    requests, duration, query_count, database = children
    requests.inc()
    duration.observe(seconds)
    query_count.observe(queries)
    database.observe(db_seconds)


def count_partner_call(*, platform: str, operation: str, status: int, code: str) -> None:
    PARTNER_API.labels(platform, operation, str(status), code).inc()


def count_otp(*, purpose: str, event: str) -> None:
    OTP_EVENTS.labels(purpose, event).inc()
