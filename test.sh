#!/usr/bin/env bash
# Set up and run the checks and the test suite. Uses DATABASE_URL / REDIS_URL when set
# (CI: PostgreSQL and Redis on 127.0.0.1), else the embedded defaults.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh requirements-dev.txt
source scripts/system-packages.sh
ruff check .
python manage.py check
python manage.py makemigrations --check --dry-run
python manage.py spectacular --validate --fail-on-warn --file /dev/null
python -m pytest "$@"
