"""Admission control for the launch-day peak: the waiting room ("ruang tunggu").

The portal serves at most ``ADMISSION_CAPACITY`` visitors at a time. A visitor is a browser,
known by a signed cookie that carries its id and a token; everyone else gets a tiny Indonesian
page (no JavaScript) that refreshes itself and shows their place in line, and they are admitted
in arrival order as places free. A waiting visitor who stops refreshing for
``ADMISSION_WAIT_SECONDS`` leaves the line.

Fair to everyone in line:

- **One browser, one place.** The token changes with every request (the answer sets the next
  one) and the room accepts only the current token or the one before it (a browser's requests
  in flight at once, or an answer that did not arrive). A cookie copied to other clients is
  found out when they use it: whoever presents an older token is a newcomer at the back of the
  line, and the place stays with the browser that keeps up. The cookie is signed (``SECRET_KEY``),
  so ids and tokens cannot be made up.
- **A place is not held for ever.** It is freed after ``ADMISSION_IDLE_SECONDS`` without a
  request. While others wait, it is held for at most ``ADMISSION_HOLD_SECONDS`` since admission,
  however often its browser asks (refreshing every few seconds keeps nothing); the browser's next
  request then goes to the back of the line.
- **A form is never lost.** A form submitted (POST) by a browser admitted within the last
  ``ADMISSION_FORM_SECONDS`` (longer than the 25-minute basic test) is always served, even when
  its place has gone meanwhile: the answers count. It does not take a place, and the page after
  it waits like any other.

The state lives in Redis (one Lua script, atomic), so every web host shares one room. Partner
platforms (the API, including payment confirmations), the health check, static files, the admin
and the sandbox never wait: they are matched by path before anything else happens. When Redis
does not answer, the room lets everyone in rather than turning people away.

Capacity 0 (the default) switches the room off. docs/performance.md says how the production
figure was measured.
"""

import logging
import secrets
import time

import redis
from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from prakerja import redis_client

logger = logging.getLogger(__name__)

COOKIE = "prakerja_antrean"
_SALT = "prakerja.admission"

# KEYS: admitted (zset visitor -> last request), since (zset visitor -> admitted at),
#       tokens (hash visitor -> "current previous"), recent (zset visitor -> last admitted request,
#       kept ADMISSION_FORM_SECONDS for the form grace), line (zset visitor -> ticket),
#       line_seen (zset visitor -> last refresh), tickets (counter)
# ARGV: visitor, token presented, next token, now, capacity, idle, wait, hold, form seconds,
#       is a form submission (1/0)
# Returns {0} admitted, {3} served as a form submission, {2} the token is not the visitor's
# (a copied cookie), else {1, place in line (1-based), people in line}.
_ADMIT = """
local visitor, token, nxt = ARGV[1], ARGV[2], ARGV[3]
local now = tonumber(ARGV[4])
local capacity = tonumber(ARGV[5])
local idle = tonumber(ARGV[6])
local wait = tonumber(ARGV[7])
local hold = tonumber(ARGV[8])
local form = tonumber(ARGV[9])
local posting = ARGV[10] == '1'
local ttl = math.floor(idle + wait + hold + form) * 2

local function leave(who)
  redis.call('ZREM', KEYS[1], who)
  redis.call('ZREM', KEYS[2], who)
end
local function token_ok(who)
  local pair = redis.call('HGET', KEYS[3], who)
  if not pair then return false end
  local current, previous = string.match(pair, '^(%S*) ?(%S*)$')
  return token == current or (previous ~= '' and token == previous)
end
local function admit(who)
  redis.call('ZADD', KEYS[1], now, who)
  redis.call('ZADD', KEYS[4], now, who)
  for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ttl) end
end
local function rotate(who)
  local pair = redis.call('HGET', KEYS[3], who) or ''
  local current = string.match(pair, '^(%S*)') or ''
  redis.call('HSET', KEYS[3], who, nxt .. ' ' .. current)
end

local function older(key, age)
  return redis.call('ZRANGEBYSCORE', key, '-inf', '(' .. (now - age), 'LIMIT', 0, 1000)
end

-- Forget places idle too long, form graces (and tokens) past the grace, and who left the line.
for _, who in ipairs(older(KEYS[1], idle)) do
  leave(who)
end
for _, who in ipairs(older(KEYS[4], form)) do
  redis.call('ZREM', KEYS[4], who)
  if not redis.call('ZSCORE', KEYS[1], who) then redis.call('HDEL', KEYS[3], who) end
end
for _, who in ipairs(older(KEYS[6], wait)) do
  redis.call('ZREM', KEYS[5], who)
  redis.call('ZREM', KEYS[6], who)
end

local known = redis.call('HEXISTS', KEYS[3], visitor) == 1
if known and not token_ok(visitor) then
  return {2}
end
local in_line = redis.call('ZCARD', KEYS[5])
if redis.call('ZSCORE', KEYS[1], visitor) then
  local since = tonumber(redis.call('ZSCORE', KEYS[2], visitor) or now)
  if in_line == 0 or now - since <= hold then
    admit(visitor)
    rotate(visitor)
    return {0}
  end
  leave(visitor)  -- held long enough while others wait: to the back of the line
end
if posting and known and redis.call('ZSCORE', KEYS[4], visitor) then
  rotate(visitor)
  return {3}
end

local free = capacity - redis.call('ZCARD', KEYS[1])
local rank = redis.call('ZRANK', KEYS[5], visitor)
if not rank then
  if free > 0 and in_line == 0 then
    redis.call('ZADD', KEYS[2], now, visitor)
    admit(visitor)
    rotate(visitor)
    return {0}
  end
  redis.call('ZADD', KEYS[5], redis.call('INCR', KEYS[7]), visitor)
  rank = redis.call('ZRANK', KEYS[5], visitor)
end
if rank < free then
  redis.call('ZREM', KEYS[5], visitor)
  redis.call('ZREM', KEYS[6], visitor)
  redis.call('ZADD', KEYS[2], now, visitor)
  admit(visitor)
  rotate(visitor)
  return {0}
end
redis.call('ZADD', KEYS[6], now, visitor)
for i = 5, 7 do redis.call('EXPIRE', KEYS[i], ttl) end
if known then rotate(visitor) end
return {1, rank + 1, redis.call('ZCARD', KEYS[5])}
"""

ADMITTED, WAITING, COPIED, FORM = 0, 1, 2, 3


def _now() -> float:
    return time.time()


# The script's KEYS, in order.
_KEY_NAMES = ("admitted", "since", "tokens", "recent", "line", "line-seen", "tickets")


def _key(name: str) -> str:
    return f"{settings.ADMISSION_KEY_PREFIX}:{name}"


def _admit(visitor: str, token: str, nxt: str, *, posting: bool) -> tuple[int, int, int]:
    """(outcome, place in line, people in line) for this visitor, updating the room."""
    client = redis_client.client(settings.REDIS_URL)
    result = client.register_script(_ADMIT)(
        keys=[_key(name) for name in _KEY_NAMES],
        args=[
            visitor,
            token,
            nxt,
            _now(),
            settings.ADMISSION_CAPACITY,
            settings.ADMISSION_IDLE_SECONDS,
            settings.ADMISSION_WAIT_SECONDS,
            settings.ADMISSION_HOLD_SECONDS,
            settings.ADMISSION_FORM_SECONDS,
            int(posting),
        ],
    )
    if result[0] != WAITING:
        return int(result[0]), 0, 0
    return WAITING, int(result[1]), int(result[2])


def _read_cookie(request: HttpRequest) -> tuple[str, str] | None:
    """(visitor, token) from the signed cookie, or ``None`` for a newcomer (none, or forged)."""
    value = request.COOKIES.get(COOKIE)
    if not value:
        return None
    try:
        visitor, _sep, token = signing.Signer(salt=_SALT).unsign(value).partition(".")
    except signing.BadSignature:
        return None
    return (visitor, token) if visitor and token else None


def _new_visitor() -> tuple[str, str]:
    return secrets.token_urlsafe(16), "0"


def room_counts() -> tuple[int, int]:
    """(served, waiting) now, for every host alike: visitors who made a request within
    ``ADMISSION_IDLE_SECONDS`` and visitors in line who refreshed within
    ``ADMISSION_WAIT_SECONDS`` (those the next admission would still count). Raises
    ``redis.RedisError`` when Redis does not answer."""
    now = _now()
    pipe = redis_client.client(settings.REDIS_URL).pipeline(transaction=False)
    pipe.zcount(_key("admitted"), now - settings.ADMISSION_IDLE_SECONDS, "+inf")
    pipe.zcount(_key("line-seen"), now - settings.ADMISSION_WAIT_SECONDS, "+inf")
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
        visitor, token = _read_cookie(request) or _new_visitor()
        nxt = secrets.token_urlsafe(6)
        posting = request.method == "POST"
        try:
            outcome, place, in_line = _admit(visitor, token, nxt, posting=posting)
            if outcome == COPIED:
                # Someone else's copy of this cookie: this client starts as a newcomer.
                visitor, token = _new_visitor()
                outcome, place, in_line = _admit(visitor, token, nxt, posting=posting)
        except redis.RedisError:
            # Fail open: a Redis outage must not close the portal.
            logger.warning("admission: Redis did not answer; admitting", exc_info=True)
            return self.get_response(request)
        if outcome in (ADMITTED, FORM):
            response = self.get_response(request)
        else:
            request.answered_by = "ruang_tunggu"
            response = _waiting_page(request, place=place, in_line=in_line)
        response.set_cookie(
            COOKIE,
            signing.Signer(salt=_SALT).sign(f"{visitor}.{nxt}"),
            max_age=24 * 60 * 60,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
        return response
