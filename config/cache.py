"""Django's Redis cache, keeping one `redis.Redis` client per connection pool.

Django's `RedisCacheClient.get_client()` builds a new `redis.Redis` object (connection
pool look-up, response-callback tables) for every cache call; on the API's 304 path —
one `MGET` per request — that construction cost about as much as the round trip itself.
A `redis.Redis` object is thread-safe (it borrows a pooled connection per command), so
one per pool is what redis-py recommends. Behaviour is otherwise Django's, plus
`incr_window` for the API's rate limits (api.throttling).
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(
                    self._servers[index], **self._pool_options
                )
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def redis_client(self):
        """The redis-py client, for data structures the cache API lacks (sorted sets:
        elearning.leaderboards). Keys must come from `make_key`."""
        return self._cache.get_client(write=True)

    def incr_window(self, key: str, timeout: int) -> int:
        """INCR a counter and (re)set its expiry in ONE round trip (api.throttling)."""
        key = self.make_and_validate_key(key)
        pipe = self._cache.get_client(key, write=True).pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, int(timeout))
        count, _ = pipe.execute()
        return int(count)
