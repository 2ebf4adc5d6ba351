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
from mixer import dsp, services, store
from mixer.dsp import FRAME_SIZE
from mixer.genre import load_model
from mixer.genre_stream import GenreStreamState, genre_stream_update
from mixer.presets import preset_for
from tests.conftest import ROOT, _database_url
from tests.mixer.asgi_client import AsgiClient
from tests.signals import DATA, load_mono
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


# A training clip the shipped model calls rock from its first 3 s window (0.90), and again
# at every re-classification up to 3.5 s: one detection, no change after it.
ROCK_CLIP = DATA.parent / "genre" / "rock" / "fof-muldjord__armygeddon__01.flac"
AUTO_FRAMES = 175  # 3.5 s: the 3 s window, then two re-classifications


def music_frames(count: int = AUTO_FRAMES) -> np.ndarray:
    """The first ``count`` frames of a real rock recording (48 kHz mono float32)."""
    audio = load_mono(ROCK_CLIP, dsp.SAMPLE_RATE)
    return audio[: count * FRAME_SIZE].reshape(count, FRAME_SIZE)


def genre_auto_reference(x: np.ndarray) -> tuple[list[tuple[str | None, float | None]],
                                                 np.ndarray]:
    """What a stream with config ``{"genre": "auto"}`` must answer for the frames ``x``, from
    the pure parts: each frame's (genre, confidence) from the detector fed every input frame,
    and the chain's output with the default settings until a genre is detected, then that
    genre's preset, from the frame that completes the window on."""
    model, detector, chain = load_model(), GenreStreamState(), dsp.new_state()
    answers, outputs = [], []
    for frame in x:
        update = genre_stream_update(detector, frame, model=model)
        detector = update.state
        answers.append((update.genre, update.confidence))
        chain_settings = preset_for(update.genre) if update.genre else dsp.ChainSettings()
        outputs.append(dsp.process(frame, settings=chain_settings, state=chain).samples)
    return answers, np.concatenate(outputs)


def pieces(data, sizes: list[int]) -> list:
    """``data`` (bytes or frames) cut in pieces of the given sizes, cycling: frames straddle
    chunks, or messages mix batch forms (1 = /ws's one-frame form)."""
    out, at, i = [], 0, 0
    while at < len(data):
        out.append(data[at:at + sizes[i % len(sizes)]])
        at += sizes[i % len(sizes)]
        i += 1
    return out
