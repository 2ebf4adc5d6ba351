"""Real parts: the test database, the Redis from settings, and a real Celery worker process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.test import APIClient

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config) -> None:
    media = Path(os.environ.get("TEST_MEDIA_ROOT", ROOT / "var" / f"test-media-{os.getpid()}"))
    media.mkdir(parents=True, exist_ok=True)
    settings.MEDIA_ROOT = media
    # Model weights: a per-run folder (tests write small random models there) and the vocal
    # service's test model, tests/vocal/tiny_model.py; both reach the worker's environment.
    settings.MODELS_DIR = ROOT / "var" / f"test-models-{os.getpid()}"
    settings.VOCAL_MODEL = "tiny_htdemucs"


def _database_url(db: dict) -> str:
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = f"{db['USER']}:{db['PASSWORD']}@" if db.get("USER") else ""
    return f"postgres://{auth}{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{db['NAME']}"


class Worker:
    """A real Celery worker (prefork, one child: time limits need it) on the test database;
    can be killed and restarted."""

    # Short heartbeats so the worker-fault tests can see a dead worker's job go stale; fast
    # webhook retries to a receiver on 127.0.0.1.
    TEST_SETTINGS = {"JOB_HEARTBEAT_INTERVAL_S": "0.5", "JOB_HEARTBEAT_STALE_S": "3",
                     "WEBHOOK_RETRY_BASE_S": "0.2", "WEBHOOK_ALLOW_PRIVATE_TARGETS": "1"}

    def __init__(self, env: dict) -> None:
        self.env = {**env, **self.TEST_SETTINGS}
        self.process: subprocess.Popen | None = None
        self.generation = 0

    def start(self) -> None:
        from audioservices.celery import app

        self.generation += 1
        name = f"test-{os.getpid()}-{self.generation}@localhost"
        # A new session starts the log afresh (pids are reused: an old run's lines must not
        # satisfy a test); restarts within the session append.
        mode = "w" if self.generation == 1 else "a"
        log = open(ROOT / "var" / f"test-worker-{os.getpid()}.log", mode)  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "audioservices", "worker", "-P", "prefork", "-c", "1",
             "-Q", "cpu,gpu", "-n", name, "--without-mingle", "--without-gossip"],
            env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() takes the pool child too
        )
        log.close()
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[name], timeout=0.5):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Celery worker did not start; see {log.name}")

    def kill(self) -> None:
        """SIGKILL to the whole worker: no warm shutdown, no ack, as when a machine dies."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # warm shutdown: the main process stops its pool
            self.process.wait(timeout=30)


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    """A real worker process consuming from the real broker, on the test database."""
    from audioservices.celery import app

    app.control.purge()  # messages left by an earlier run name jobs of another database
    worker = Worker({**os.environ, "DATABASE_URL": _database_url(connection.settings_dict),
                     "MEDIA_ROOT": str(settings.MEDIA_ROOT), "REDIS_URL": settings.REDIS_URL,
                     "MODELS_DIR": str(settings.MODELS_DIR), "VOCAL_MODEL": settings.VOCAL_MODEL,
                     # torch's thread pool oversubscribes a small shared machine.
                     "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")})
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def make_user(db):
    def make(username: str = "alice"):
        return get_user_model().objects.create_user(username=username, password="pw-" + username)

    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def bob(make_user):
    return make_user("bob")


@pytest.fixture
def client_for():
    def make(user) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return make

