"""Model weights under MODELS_DIR: which files each model needs, where they come from, and
whether they are there. Plain Python (no Django), so engines and benchmarks can use it.

Each service registers a resolver that lists its files for the current settings (e.g. the
Demucs model named by VOCAL_MODEL); `manage.py fetch_models` downloads what is missing and
checks each file's SHA-256 prefix; engines call `require()` before loading and fail the job
with a message that names the missing file and that command.
"""

from __future__ import annotations

import hashlib
import shutil
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FETCH_HINT = "Run `python manage.py fetch_models {name}` on a machine with internet access"


@dataclass(frozen=True)
class WeightFile:
    path: str  # relative to MODELS_DIR
    url: str
    sha256_prefix: str = ""  # checked after download when given


@dataclass(frozen=True)
class ModelWeights:
    name: str  # what `fetch_models` takes, e.g. "demucs"
    files: tuple[WeightFile, ...]


class WeightsMissing(Exception):
    """The model's weights are not in MODELS_DIR; the message says how to get them."""


class WeightsCorrupt(Exception):
    """A downloaded file does not match its published checksum."""


_resolvers: dict[str, Callable[[], ModelWeights]] = {}


def register(name: str, resolver: Callable[[], ModelWeights]) -> None:
    _resolvers[name] = resolver


def names() -> list[str]:
    return sorted(_resolvers)


def resolve(name: str) -> ModelWeights:
    return _resolvers[name]()


def missing_files(weights: ModelWeights, *, models_dir: Path) -> list[Path]:
    return [models_dir / f.path for f in weights.files if not (models_dir / f.path).is_file()]


def require(weights: ModelWeights, *, models_dir: Path) -> None:
    missing = missing_files(weights, models_dir=models_dir)
    if missing:
        shown = ", ".join(str(p) for p in missing)
        raise WeightsMissing(
            f"Model weights for '{weights.name}' are missing: {shown}. "
            + FETCH_HINT.format(name=weights.name)
            + " (or copy the files there), then retry the job."
        )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(weights: ModelWeights, *, models_dir: Path, force: bool = False,
             log: Callable[[str], None] = print) -> list[Path]:
    """Fetch every missing file (all with `force`), verified, written atomically."""
    fetched = []
    for item in weights.files:
        target = models_dir / item.path
        if target.is_file() and not force:
            log(f"present  {target}")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        log(f"fetching {item.url}")
        with urllib.request.urlopen(item.url, timeout=60) as response, part.open("wb") as out:  # noqa: S310 (registered https URLs)
            shutil.copyfileobj(response, out, 1 << 20)
        digest = sha256_of(part)
        if item.sha256_prefix and not digest.startswith(item.sha256_prefix):
            part.unlink()
            raise WeightsCorrupt(f"{item.url}: sha256 {digest[:16]}… does not start with "
                                 f"{item.sha256_prefix}")
        part.replace(target)
        fetched.append(target)
        log(f"ok       {target} (sha256 {digest[:8]})")
    return fetched
