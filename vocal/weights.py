"""Which files a Demucs model needs under MODELS_DIR/demucs, and where the official ones live.

demucs ships its own catalogue: ``demucs/remote/<name>.yaml`` names the signatures of a bag
of models and ``files.txt`` maps each signature to ``<sig>-<sha256 prefix>.th`` under
https://dl.fbaipublicfiles.com/demucs/. A local repo for ``get_model(name, repo=...)`` is
just those files side by side, so the yaml is copied from the installed package (file://).
Plain Python, no Django.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import yaml
from demucs.pretrained import REMOTE_ROOT, _parse_remote_files

from audioservices.weights import ModelWeights, WeightFile

WEIGHTS_NAME = "demucs"  # what `manage.py fetch_models` takes
REPO_FOLDER = "demucs"  # under MODELS_DIR


def repo_path(models_dir: Path) -> Path:
    return models_dir / REPO_FOLDER


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
    urls = _parse_remote_files(REMOTE_ROOT / "files.txt")  # private, but demucs is pinned
    bag = REMOTE_ROOT / f"{model_name}.yaml"
    if bag.is_file():
        signatures = yaml.safe_load(bag.read_text())["models"]
        files = [WeightFile(f"{REPO_FOLDER}/{bag.name}", bag.as_uri())]
    elif model_name in urls:
        signatures, files = [model_name], []
    else:
        return ModelWeights(WEIGHTS_NAME, ())
    files += [_official_file(urls[signature]) for signature in signatures]
    return ModelWeights(WEIGHTS_NAME, tuple(files))
