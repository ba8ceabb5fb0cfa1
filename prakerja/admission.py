"""Admission control for the launch-day peak: the waiting room ("ruang tunggu", issue 14).

The portal serves at most ``ADMISSION_CAPACITY`` visitors at a time (a visitor is a browser,
known by a random cookie; it holds its place while it keeps making requests, and loses it after
``ADMISSION_IDLE_SECONDS`` without one). Everyone else gets a tiny Indonesian page (no
JavaScript) that refreshes itself and shows their place in line; they are admitted in arrival
order as places free. A waiting visitor who stops refreshing for ``ADMISSION_WAIT_SECONDS``
leaves the line.

The state lives in Redis (one Lua script, atomic), so every web host shares one room. Partner
platforms (the API, including payment confirmations), the health check, static files, the admin
and the sandbox never wait: they are matched by path before anything else happens. When Redis
does not answer, the room lets everyone in rather than turning people away.

Capacity 0 (the default) switches the room off. docs/performance.md says how the production
figure was measured.
"""

import logging
import re
import secrets
import time

import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from prakerja import redis_client

logger = logging.getLogger(__name__)

COOKIE = "prakerja_antrean"
_VISITOR = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

# KEYS: admitted (zset visitor -> last seen), line (zset visitor -> ticket),
#       line_seen (zset visitor -> last refresh), tickets (counter)
# ARGV: visitor, now, capacity, idle seconds, wait seconds
# Returns {0} when admitted, else {1, place in line (1-based), people in line}.
_ADMIT = """
local visitor = ARGV[1]
local now = tonumber(ARGV[2])
local capacity = tonumber(ARGV[3])
local idle = tonumber(ARGV[4])
local wait = tonumber(ARGV[5])
local ttl = math.floor(idle + wait) * 10

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - idle))
if redis.call('ZSCORE', KEYS[1], visitor) then
  redis.call('ZADD', KEYS[1], now, visitor)
  return {0}
end

local gone = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. (now - wait), 'LIMIT', 0, 1000)
for i = 1, #gone do
  redis.call('ZREM', KEYS[2], gone[i])
  redis.call('ZREM', KEYS[3], gone[i])
end

local free = capacity - redis.call('ZCARD', KEYS[1])
local rank = redis.call('ZRANK', KEYS[2], visitor)
if not rank then
  if free > 0 and redis.call('ZCARD', KEYS[2]) == 0 then
    redis.call('ZADD', KEYS[1], now, visitor)
    redis.call('EXPIRE', KEYS[1], ttl)
    return {0}
  end
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[4]), visitor)
  rank = redis.call('ZRANK', KEYS[2], visitor)
end
if rank < free then
  redis.call('ZREM', KEYS[2], visitor)
  redis.call('ZREM', KEYS[3], visitor)
  redis.call('ZADD', KEYS[1], now, visitor)
  redis.call('EXPIRE', KEYS[1], ttl)
  return {0}
end
redis.call('ZADD', KEYS[3], now, visitor)
for i = 2, 4 do redis.call('EXPIRE', KEYS[i], ttl) end
return {1, rank + 1, redis.call('ZCARD', KEYS[2])}
"""


def _now() -> float:
    return time.time()


def _keys() -> list[str]:
    prefix = settings.ADMISSION_KEY_PREFIX
    return [f"{prefix}:admitted", f"{prefix}:line", f"{prefix}:line-seen", f"{prefix}:tickets"]


def _admit(visitor: str) -> tuple[bool, int, int]:
    """(admitted, place in line, people in line) for this visitor, updating the room."""
    client = redis_client.client(settings.REDIS_URL)
    result = client.register_script(_ADMIT)(
        keys=_keys(),
        args=[
            visitor,
            _now(),
            settings.ADMISSION_CAPACITY,
            settings.ADMISSION_IDLE_SECONDS,
            settings.ADMISSION_WAIT_SECONDS,
        ],
    )
    if result[0] == 0:
        return True, 0, 0
    return False, int(result[1]), int(result[2])


def room_counts() -> tuple[int, int]:
    """(served, waiting) now, for every host alike: visitors who made a request within
    ``ADMISSION_IDLE_SECONDS`` and visitors in line who refreshed within
    ``ADMISSION_WAIT_SECONDS`` (those the next admission would still count). Raises
    ``redis.RedisError`` when Redis does not answer."""
    admitted, _line, line_seen, _tickets = _keys()
    now = _now()
    pipe = redis_client.client(settings.REDIS_URL).pipeline(transaction=False)
    pipe.zcount(admitted, now - settings.ADMISSION_IDLE_SECONDS, "+inf")
    pipe.zcount(line_seen, now - settings.ADMISSION_WAIT_SECONDS, "+inf")
    served, waiting = pipe.execute()
    return int(served), int(waiting)


def _exempt(path: str) -> bool:
    return path.startswith(tuple(settings.ADMISSION_EXEMPT_PATHS))


def _waiting_page(request: HttpRequest, *, place: int, in_line: int) -> HttpResponse:
    refresh = settings.ADMISSION_REFRESH_SECONDS
    html = render_to_string(
        "ruang_tunggu.html", {"place": place, "in_line": in_line, "refresh": refresh}
    )
    # 200, not 503: for the person this is a normal page, and it must never look like an error.
    response = HttpResponse(html)
    response["Cache-Control"] = "no-store"
    response["Refresh"] = str(refresh)
    return response


class AdmissionMiddleware:
    """Serve the request, or the waiting page when the portal is full (see the module text)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.ADMISSION_CAPACITY <= 0 or not settings.REDIS_URL or _exempt(request.path_info):
            return self.get_response(request)
        visitor = request.COOKIES.get(COOKIE, "")
        new_visitor = not _VISITOR.match(visitor)
        if new_visitor:
            visitor = secrets.token_urlsafe(16)
        try:
            admitted, place, in_line = _admit(visitor)
        except redis.RedisError:
            # Fail open: a Redis outage must not close the portal.
            logger.warning("admission: Redis did not answer; admitting", exc_info=True)
            return self.get_response(request)
        if admitted:
            response = self.get_response(request)
        else:
            request.answered_by = "ruang_tunggu"
            response = _waiting_page(request, place=place, in_line=in_line)
        if new_visitor:
            response.set_cookie(
                COOKIE,
                visitor,
                max_age=24 * 60 * 60,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response
