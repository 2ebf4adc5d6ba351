# Sourced by run.sh and test.sh: a virtualenv in .venv with the given requirements file.
# Plain pip on purpose: it takes the machine's local CPU torch wheel when one is needed.
set -euo pipefail
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed-$(sha256sum "$1" requirements.txt | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r "$1"
  # torchaudio 2.11's native libraries do not load beside torch 2.13; its Python parts do.
  rm -f .venv/lib/python3*/site-packages/torchaudio/lib/*.so
  touch "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
