"""Which files a Demucs model needs under MODELS_DIR/demucs, and where the official ones live.

demucs ships its own catalogue: ``demucs/remote/<name>.yaml`` names the signatures of a bag
of models and ``files.txt`` maps each signature to ``<sig>-<sha256 prefix>.th`` under
https://dl.fbaipublicfiles.com/demucs/. A local repo for ``get_model(name, repo=...)`` is
just those files side by side, so the yaml is copied from the installed package (file://).
Plain Python, no Django; it reads demucs's files without importing demucs (and torch), so
the web process, which registers this resolver, stays light.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path, PurePosixPath

import yaml

from audioservices.weights import ModelWeights, WeightFile

ROOT_URL = "https://dl.fbaipublicfiles.com/demucs/"  # demucs.pretrained.ROOT_URL
WEIGHTS_NAME = "demucs"  # what `manage.py fetch_models` takes
REPO_FOLDER = "demucs"  # under MODELS_DIR


def repo_path(models_dir: Path) -> Path:
    return models_dir / REPO_FOLDER


def _remote_folder() -> Path:
    return Path(find_spec("demucs").submodule_search_locations[0]) / "remote"


def published_checkpoints() -> dict[str, str]:
    """Signature -> URL, read from demucs's ``remote/files.txt`` as demucs itself reads it."""
    urls, root = {}, ""
    for line in (_remote_folder() / "files.txt").read_text().splitlines():
        line = line.strip()
        if line.startswith("root:"):
            root = line.split(":", 1)[1].strip()
        elif line and not line.startswith("#"):
            urls[line.split("-", 1)[0]] = ROOT_URL + root + line
    return urls


def _official_file(url: str) -> WeightFile:
    filename = PurePosixPath(url).name  # e.g. 955717e8-8726e21a.th
    sha256_prefix = PurePosixPath(filename).stem.rsplit("-", 1)[1]
    return WeightFile(f"{REPO_FOLDER}/{filename}", url, sha256_prefix)


def demucs_weights(model_name: str) -> ModelWeights:
    """The files for ``model_name``: a bag (``htdemucs``, ``htdemucs_ft``...) or a signature.

    A name demucs does not publish is a local model (one you trained or a test's): its files
    are yours to put in MODELS_DIR/demucs, there is nothing to fetch, and the loader reports
    what it cannot find.
    """
    urls = published_checkpoints()
    bag = _remote_folder() / f"{model_name}.yaml"
    if bag.is_file():
        signatures = yaml.safe_load(bag.read_text())["models"]
        files = [WeightFile(f"{REPO_FOLDER}/{bag.name}", bag.as_uri())]
    elif model_name in urls:
        signatures, files = [model_name], []
    else:
        return ModelWeights(WEIGHTS_NAME, ())
    files += [_official_file(urls[signature]) for signature in signatures]
    return ModelWeights(WEIGHTS_NAME, tuple(files))
