"""Run everything on one machine: migrations, a dev login, the ASGI server and a worker.

The embedded Redis (when REDIS_URL is unset) is started by settings in this process, which
owns it for as long as the service runs; the children inherit its URL.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, call_command

DEV_USER = "dev"


def web_server_command(*, host: str, port: int, workers: int = 1) -> list[str]:
    """The production web server: uvicorn (HTTP + WebSocket), ``workers`` processes.

    uvicorn, not daphne: it hands the request body to Django in 64 KB messages with flow
    control, so a 100 MB upload streams to disk (daphne passes it as one bytes object).
    Several workers share the listening socket; the mixer keeps rate limits, streams and
    stats in Redis, so any worker can take any request (see README, "Mixer performance").
    WebSocket: uvicorn's sans-I/O websockets protocol, not ``websockets`` (built on the
    library's legacy API, deprecated since websockets 14), which also cost ~15% more server
    CPU per /ws message (README, "Streaming measured").
    """
    return [sys.executable, "-m", "uvicorn", "audioservices.asgi:application",
            "--host", host, "--port", str(port), "--workers", str(workers),
            "--lifespan", "off", "--ws", "websockets-sansio", "--no-access-log"]


def prometheus_multiprocess_env() -> dict[str, str]:
    """Several web workers: /metrics must sum all of them (prometheus-client's multiprocess
    mode), so each run starts with an empty metrics folder (unless one is configured)."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or str(settings.VAR_DIR / "prometheus")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    return {"PROMETHEUS_MULTIPROC_DIR": folder}


class Command(BaseCommand):
    help = "Migrate, ensure a dev user, then run uvicorn (HTTP + WebSocket) and a Celery worker."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--concurrency", type=int, default=1)
        parser.add_argument("--web-workers", type=int, default=1,
                            help="uvicorn worker processes (one per CPU core for the mixer API)")
        parser.add_argument("--no-dev-user", action="store_true")

    def _dev_login(self) -> str:
        password_file = settings.VAR_DIR / "dev-password.txt"
        if not password_file.exists():
            password_file.parent.mkdir(parents=True, exist_ok=True)
            password_file.write_text(secrets.token_urlsafe(12))
            password_file.chmod(0o600)
        password = password_file.read_text().strip()
        user, _ = get_user_model().objects.get_or_create(username=DEV_USER)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        return password

    def handle(self, *args, host: str, port: int, concurrency: int, web_workers: int,
               no_dev_user: bool, **kw):
        call_command("migrate", interactive=False, verbosity=0)
        env = {**os.environ, "REDIS_URL": settings.REDIS_URL}
        web_env = {**env, **prometheus_multiprocess_env()} if web_workers > 1 else env
        python = sys.executable
        children = [
            subprocess.Popen(web_server_command(host=host, port=port, workers=web_workers),
                             env=web_env),
            subprocess.Popen([python, "-m", "celery", "-A", "audioservices", "worker",
                              "-Q", "cpu,gpu", "-c", str(concurrency), "--loglevel", "INFO",
                              # one machine: the worker also runs beat (the job sweeper)
                              "--beat", "--schedule", str(settings.VAR_DIR / "celerybeat")],
                             env=env),
        ]
        url = f"http://{host}:{port}/"
        self.stdout.write(self.style.SUCCESS(f"Audio Services is running at {url}"))
        if not no_dev_user:
            self.stdout.write(f"Log in at {url}accounts/login/ as '{DEV_USER}' with password "
                              f"'{self._dev_login()}' (kept in {settings.VAR_DIR}/dev-password.txt)")
        self._wait(children)

    def _wait(self, children: list[subprocess.Popen]) -> None:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            for child in children:
                child.terminate()
            for child in children:
                child.wait(timeout=15)
