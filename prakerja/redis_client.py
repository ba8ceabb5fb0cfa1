"""One Redis client (and its connection pool) per process and URL, for the code that talks to
Redis directly: the health check and the waiting room. Opening a TCP connection per request
costs more than the command itself."""

import functools

import redis


@functools.cache
def client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30
    )
