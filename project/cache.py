"""
The cache is an accelerator, not a dependency of correctness: Taskdesk keeps working, a little
slower and less guarded, while Redis is stopped, restarting or frozen.

``ResilientRedisCache`` is Django's Redis backend with short timeouts and no retries. When a
call fails it answers as an empty cache would — reads miss, writes are dropped, ``add``
reports the key as stored, ``incr`` the key as missing — logs once, and for the next
``OUTAGE_SECONDS`` does not try Redis at all in this process, so a frozen Redis costs one
timeout per process and window rather than one per call. What relies on the cache degrades
accordingly: throttles and rate limits let requests through (django-allauth's, whose lock is
an ``add``, included: a stopped Redis must not refuse every sign-in), nothing is deduplicated
by ``add``.

Dropped deletes cannot be replayed, so a value that must never be served stale does not
belong in this cache (sessions stay in the database for this reason).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

logger = logging.getLogger(__name__)

#: Seconds a process leaves Redis alone after a failed call.
OUTAGE_SECONDS = 5.0
#: Seconds to connect, and to wait for an answer, before a call counts as failed.
DEFAULT_SOCKET_TIMEOUT = 0.5

OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, ReadOnlyError, OSError)


class _Outage:
    """Per process and server: until when Redis is left alone. Shared by every thread."""

    def __init__(self) -> None:
        self.until = 0.0
        self.lock = threading.Lock()

    def ongoing(self) -> bool:
        return time.monotonic() < self.until

    def begin(self, error: Exception) -> None:
        with self.lock:
            first = not self.ongoing()
            self.until = time.monotonic() + OUTAGE_SECONDS
        if first:
            logger.warning(
                "Cache unavailable (%s: %s); working without it for %.0f s",
                type(error).__name__,
                error,
                OUTAGE_SECONDS,
            )


_outages: dict[tuple[str, ...], _Outage] = {}
_outages_lock = threading.Lock()


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._options = {
            "socket_connect_timeout": DEFAULT_SOCKET_TIMEOUT,
            "socket_timeout": DEFAULT_SOCKET_TIMEOUT,
            # One try: a retry would only wait again, and the outage window does the rest.
            "retry": Retry(NoBackoff(), 0),
            **self._options,
        }
        with _outages_lock:
            self._outage = _outages.setdefault(tuple(self._servers), _Outage())

    def _guarded(self, fallback: Any, method: str, *args: Any, **kwargs: Any) -> Any:
        if self._outage.ongoing():
            return fallback
        try:
            return getattr(super(), method)(*args, **kwargs)
        except OUTAGE_ERRORS as error:
            self._outage.begin(error)
            return fallback

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(True, "add", key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._guarded(default, "get", key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(None, "set", key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(False, "touch", key, timeout, version)

    def delete(self, key, version=None):
        return self._guarded(False, "delete", key, version)

    def get_many(self, keys, version=None):
        return self._guarded({}, "get_many", keys, version)

    def has_key(self, key, version=None):
        return self._guarded(False, "has_key", key, version)

    def incr(self, key, delta=1, version=None):
        if self._outage.ongoing():
            raise ValueError(f"Key '{key}' not found (the cache is unavailable).")
        try:
            return super().incr(key, delta, version)
        except OUTAGE_ERRORS as error:
            self._outage.begin(error)
            raise ValueError(f"Key '{key}' not found (the cache is unavailable).") from error

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guarded(list(data), "set_many", data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._guarded(None, "delete_many", keys, version)

    def clear(self):
        return self._guarded(False, "clear")
