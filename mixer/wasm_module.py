"""The built WebAssembly mixer chain (wasm/mixer_chain.wasm): its bytes and strong ETag.

Standard library only: ``/wasm`` serves it without importing numpy or numba.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

MODULE_PATH = Path(__file__).resolve().parents[1] / "wasm" / "mixer_chain.wasm"


@dataclass(frozen=True)
class BuiltModule:
    content: bytes
    etag: str  # strong validator: the content's SHA-256 (hex), unquoted


def built_module(path: Path = MODULE_PATH) -> BuiltModule:
    """The module's bytes and hash; re-read only when the file changes (a rebuild in place)."""
    stat = path.stat()
    return _read_module(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _read_module(path: Path, _mtime_ns: int, _size: int) -> BuiltModule:
    content = path.read_bytes()
    return BuiltModule(content=content, etag=hashlib.sha256(content).hexdigest())
