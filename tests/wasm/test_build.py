"""The committed module is what wasm/build.sh makes from wasm/mixer_chain.c today."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from mixer.wasm_module import MODULE_PATH

BUILD = MODULE_PATH.parent / "build.sh"


def test_committed_module_is_up_to_date(tmp_path):
    if not (shutil.which("clang") and shutil.which("wasm-ld")):
        pytest.fail(
            "clang and lld are needed to check wasm/mixer_chain.wasm: "
            "apt-get install -y clang lld (.ci/run installs them)"
        )
    rebuilt = tmp_path / "mixer_chain.wasm"
    subprocess.run([str(BUILD), str(rebuilt)], check=True, capture_output=True)
    assert rebuilt.read_bytes() == MODULE_PATH.read_bytes(), (
        "wasm/mixer_chain.wasm is stale: run wasm/build.sh and commit the result "
        "(built with Debian bookworm's clang 14)"
    )
