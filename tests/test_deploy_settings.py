"""The production settings mode: `check --deploy` is clean, and it refuses to start unsafe."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = {"DJANGO_PRODUCTION": "1", "ALLOWED_HOSTS": "audio.example.com",
              "CSRF_TRUSTED_ORIGINS": "https://audio.example.com",
              "SECRET_KEY": "a-long-random-production-secret-" + "x" * 40}


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DJANGO_DEBUG")}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=120, check=False)


def test_deploy_check_passes_with_no_warnings(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING",
                    env={**PRODUCTION, "VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = manage("check", env={**env, "VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
