"""API keys and clients for the mixer tests; the mixer's Redis database starts empty."""

from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from audioservices.jobs.management.commands.runservice import web_server_command
from mixer import services, store
from mixer.dsp import FRAME_SIZE
from tests.conftest import ROOT, _database_url
from tests.mixer.asgi_client import AsgiClient
from tests.test_embedded_defaults import free_port, wait_until_up


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """User fixtures hash a password; the production hasher costs seconds on a busy machine."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_mixer_redis():
    """Counters, windows and streams of earlier tests (or runs) must not leak in."""
    store.client().flushdb()


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    """uvicorn in a subprocess on the test database, exactly as ``manage.py runservice``
    starts it (its HTTP and WebSocket protocols); (host, port)."""
    env = {**os.environ, "DATABASE_URL": _database_url(connection.settings_dict),
           "REDIS_URL": settings.REDIS_URL, "MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    port = free_port()
    log = open(ROOT / "var" / f"test-uvicorn-{os.getpid()}.log", "w")  # noqa: SIM115
    process = subprocess.Popen(web_server_command(host="127.0.0.1", port=port), env=env,
                               cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/accounts/login/", process)
        yield "127.0.0.1", port
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture
def make_key(db):
    def make(owner, *, tier: str = "standard", name: str = "test") -> str:
        return services.api_key_create(owner=owner, name=name, tier=tier)[1]

    return make


@pytest.fixture
def client_kind() -> str:
    """What ``key_client``/``api`` drive: "django" (DRF's APIClient through Django's test
    handler) or "asgi" (the production ASGI application, tests/mixer/asgi_client.py). Endpoint
    test modules parametrise it to prove both."""
    return "django"


@pytest.fixture
def key_client(client_kind):
    def make(raw_key: str, **kwargs) -> APIClient | AsgiClient:
        client = APIClient(**kwargs) if client_kind == "django" else AsgiClient(**kwargs)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
        return client

    return make


@pytest.fixture
def alice_key(alice, make_key) -> str:
    return make_key(alice)


@pytest.fixture
def api(alice_key, key_client) -> APIClient:
    return key_client(alice_key)


def frames(count: int, *, seed: int = 0, level: float = 0.3) -> np.ndarray:
    """``count`` frames of loud, varied audio (noise bursts over a tone), float32."""
    rng = np.random.default_rng(seed)
    t = np.arange(count * FRAME_SIZE) / 48000
    x = level * np.sin(2 * np.pi * 220 * t) + 0.2 * rng.standard_normal(t.size)
    return x.astype(np.float32).reshape(count, FRAME_SIZE)
