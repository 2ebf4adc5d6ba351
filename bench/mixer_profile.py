"""Where a ``POST /v1/process-audio`` spends its time, in-process (no network, no server).

    python bench/mixer_profile.py [--requests 2000] [--top 25] [--stream] [--lean]

Drives the real Django request path (every middleware, DRF, the view) with Django's test
client against the embedded SQLite and Redis, with an enterprise key made for the run, and
prints: µs per request, SQL queries and Redis commands per request, the cost of the JSON
parse and render of a 960-sample frame on their own, then cProfile's top functions by
cumulative time. The ASGI server's own share (uvicorn, the thread hop into the sync view) is
not in here: bench/mixer_http.py measures the whole thing. ``--lean`` drives the lean ASGI
path production uses for frames (mixer/frame_asgi.py) instead, on a private event loop.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(ROOT))


def _setup() -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "audioservices.settings")
    os.environ.setdefault("DJANGO_DEBUG", "0")  # as in production: no query log, no debug pages
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from mixer import services
    from mixer.warmup import warm_up_kernels

    call_command("migrate", interactive=False, verbosity=0)
    warm_up_kernels()
    user, _ = get_user_model().objects.get_or_create(username="bench")
    return services.api_key_create(owner=user, name="bench-profile", tier="enterprise")[1]


def _body() -> bytes:
    frame = (0.2 * np.random.default_rng(0).standard_normal(960)).astype(np.float32)
    return json.dumps({"audioBuffer": frame.tolist()}).encode()


class RedisCounter:
    """Counts commands sent by every redis-py connection (pipelines count as one round trip)."""

    def __init__(self) -> None:
        import redis

        self.round_trips = 0
        self._original = redis.connection.AbstractConnection.send_packed_command
        counter = self

        def counting(conn, command, check_health=True):
            counter.round_trips += 1
            return counter._original(conn, command, check_health)

        redis.connection.AbstractConnection.send_packed_command = counting

    def close(self) -> None:
        import redis

        redis.connection.AbstractConnection.send_packed_command = self._original


def _json_costs(body: bytes, repeat: int = 2000) -> tuple[float, float]:
    from rest_framework.renderers import JSONRenderer

    data = json.loads(body)
    start = time.perf_counter()
    for _ in range(repeat):
        json.loads(body)
    parse = (time.perf_counter() - start) / repeat
    renderer = JSONRenderer()
    out = {"processedBuffer": data["audioBuffer"]}
    start = time.perf_counter()
    for _ in range(repeat):
        renderer.render(out)
    return parse * 1e6, (time.perf_counter() - start) / repeat * 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--stream", action="store_true", help="send X-Stream-Id (Redis state)")
    parser.add_argument("--sort", default="cumulative", help="pstats order: cumulative, tottime")
    parser.add_argument("--lean", action="store_true",
                        help="drive the lean ASGI path (mixer/frame_asgi.py), as production "
                             "serves frames, instead of Django's stack")
    args = parser.parse_args(argv)
    raw_key = _setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from mixer.models import ApiKey
    from mixer.services import key_hash

    body = _body()
    if args.lean:
        post = _lean_poster(raw_key, body, stream=args.stream)
    else:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {raw_key}", HTTP_HOST="localhost")
        headers = {"HTTP_X_STREAM_ID": "profile"} if args.stream else {}

        def post() -> None:
            response = client.post("/v1/process-audio", body, content_type="application/json",
                                   **headers)
            assert response.status_code == 200, response.content[:300]

    try:
        for _ in range(50):  # warm-up: imports, caches, connections
            post()
        redis_counter = RedisCounter()
        with CaptureQueriesContext(connection) as queries:
            for _ in range(10):
                post()
        redis_counter.close()
        start, cpu_start = time.perf_counter(), time.process_time()
        for _ in range(args.requests):
            post()
        per_request = (time.perf_counter() - start) / args.requests * 1e6
        cpu_per_request = (time.process_time() - cpu_start) / args.requests * 1e6
        parse_us, render_us = _json_costs(body)
        print(f"{args.requests} requests: {per_request:.0f} µs each ({cpu_per_request:.0f} µs "
              f"CPU with the Redis client's), in-process, "
              f"{'lean ASGI path' if args.lean else 'Django test client'} "
              f"({'with' if args.stream else 'without'} a stream id)")
        print(f"per request: {len(queries) / 10:g} SQL queries, "
              f"{redis_counter.round_trips / 10:g} Redis round trips")
        print(f"JSON of one frame: parse {parse_us:.0f} µs, render {render_us:.0f} µs\n")
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(min(args.requests, 1000)):
            post()
        profile.disable()
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
    finally:
        ApiKey.objects.filter(key_hash=key_hash(raw_key)).delete()


def _lean_poster(raw_key: str, body: bytes, *, stream: bool):
    """A function that sends one frame request to the lean ASGI app on a private event loop
    (no server, no socket: the HTTP parsing and writing of uvicorn are not included)."""
    import asyncio

    from mixer.asgi_handler import SyncStackAsgiHandler
    from mixer.frame_asgi import FrameApp

    app = FrameApp(fallback=SyncStackAsgiHandler())
    headers = [(b"host", b"localhost"), (b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode()),
               (b"authorization", f"Bearer {raw_key}".encode())]
    if stream:
        headers.append((b"x-stream-id", b"profile"))
    scope = {"type": "http", "method": "POST", "path": "/v1/process-audio", "scheme": "http",
             "query_string": b"", "headers": headers, "server": ("localhost", 80)}
    loop = asyncio.new_event_loop()
    message = {"type": "http.request", "body": body, "more_body": False}

    async def receive() -> dict:
        return message

    async def one() -> int:
        sent: list[dict] = []

        async def send(event: dict) -> None:
            sent.append(event)

        await app(scope, receive, send)
        return sent[0]["status"]

    def post() -> None:
        status = loop.run_until_complete(one())
        assert status == 200, status

    return post


if __name__ == "__main__":
    main()
