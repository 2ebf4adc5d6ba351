#!/usr/bin/env bash
# Set up and run the service on its embedded defaults (SQLite + a bundled Redis), or on
# DATABASE_URL / REDIS_URL when they are set. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh requirements.txt
exec python manage.py runservice "$@"
