#!/usr/bin/env bash
# Build the mixer chain's WebAssembly module from wasm/mixer_chain.c with Debian's clang/lld
# (apt-get install -y clang lld); no libc, no toolchain download. The built module is
# committed, so a fresh machine serves /wasm without building; tests/wasm/test_build.py
# rebuilds it and fails if the committed bytes are stale.
#   wasm/build.sh [OUTPUT]        (default: wasm/mixer_chain.wasm)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/mixer_chain.wasm}"
# -mbulk-memory: struct/array clears become memory.fill instead of calls to a memset we
#  do not have. --strip-all: no name section (the exports keep their names).
# -fno-ident + --strip-all keep the bytes a function of the source and the clang version.
clang --target=wasm32 -nostdlib -O3 -mbulk-memory -fno-ident -std=c11 -Wall -Wextra -Werror \
    -Wl,--no-entry -Wl,--strip-all -Wl,-z,stack-size=16384 \
    -o "$out" "$here/mixer_chain.c"
