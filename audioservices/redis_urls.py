"""One REDIS_URL, three uses: Celery's broker, Django's cache and the Channels layer.

Each use gets its own database number so that a cache flush never drops queued jobs.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

BROKER_DB = 0
CACHE_DB = 1
CHANNELS_DB = 2
MIXER_DB = 3  # mixer rate limits, stream state and stats: kept apart from cache flushes


def with_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = dict(parse_qsl(parts.query))
        query["db"] = str(db)
        # urlunsplit would drop the empty host and write "unix:/path", which Celery misreads.
        return f"unix://{parts.path}?{urlencode(query)}"
    return urlunsplit(parts._replace(path=f"/{db}"))


def celery_broker_url(url: str) -> str:
    """Celery spells a unix-socket Redis ``redis+socket://``; redis-py spells it ``unix://``."""
    url = with_db(url, BROKER_DB)
    if url.startswith("unix://"):
        return "redis+socket://" + url.removeprefix("unix://")
    return url
