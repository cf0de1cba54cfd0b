"""Django's cache as the product uses it: for limits that protect (request rates, lookup attempts), never for data.

When the cache (Redis) cannot be reached, a limit is let go for that request rather than failing the request with a
500; the warning is logged once a request, with the error. The limits are a brake against abuse, and the product stays
usable while Redis is restarted (the broker's own outage is handled by the outbox, docs/operations.md).
"""

import logging

from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What Django's Redis cache raises when Redis is down, restarting or too slow to answer.
CACHE_ERRORS = (RedisError, OSError)


def cache_failed(limit: str) -> None:
    """Log that `limit` was let go because the cache did not answer (call it from the ``except CACHE_ERRORS``)."""
    logger.warning("The cache did not answer: %s not applied to this request", limit, exc_info=True)
