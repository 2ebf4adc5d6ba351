"""Demucs weights: what the resolver lists, and what a job says when they are not there."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from audioservices import weights
from tests.vocal.tiny_model import NAME, SIGNATURE, tiny_demucs_save
from vocal import engine
from vocal.weights import demucs_weights


def test_htdemucs_is_its_yaml_and_the_published_checkpoint():
    files = demucs_weights("htdemucs").files
    assert [f.path for f in files] == ["demucs/htdemucs.yaml", "demucs/955717e8-8726e21a.th"]
    assert files[1].url == "https://dl.fbaipublicfiles.com/demucs/hybrid_transformer/955717e8-8726e21a.th"
    assert files[1].sha256_prefix == "8726e21a"
    assert files[0].url.startswith("file://")
    assert files[0].url.endswith("/remote/htdemucs.yaml")


def test_a_bag_lists_every_model_in_it():
    paths = [f.path for f in demucs_weights("htdemucs_ft").files]
    assert len(paths) == 5
    assert paths[0] == "demucs/htdemucs_ft.yaml"


def test_the_resolver_follows_the_setting(settings):
    settings.VOCAL_MODEL = "htdemucs_ft"
    assert weights.resolve("demucs").files[0].path == "demucs/htdemucs_ft.yaml"


def test_missing_weights_name_the_file_and_the_command(tmp_path):
    with pytest.raises(weights.WeightsMissing) as raised:
        engine.model_load(name="htdemucs", models_dir=tmp_path)
    message = str(raised.value)
    assert str(tmp_path / "demucs" / "955717e8-8726e21a.th") in message
    assert "python manage.py fetch_models demucs" in message


def test_a_changed_byte_fails_demucs_checksum(tmp_path):
    tiny_demucs_save(tmp_path, name="damaged")
    checkpoint = next((tmp_path / "demucs").glob(f"{SIGNATURE}-*.th"))
    data = bytearray(checkpoint.read_bytes())
    data[-1] ^= 0xFF
    checkpoint.write_bytes(bytes(data))
    with pytest.raises(weights.WeightsMissing, match="Invalid checksum"):
        engine.model_load(name="damaged", models_dir=tmp_path)


def test_a_local_model_without_files_says_so(tmp_path):
    (tmp_path / "demucs").mkdir()
    with pytest.raises(weights.WeightsMissing, match="fetch_models demucs"):
        engine.model_load(name=NAME, models_dir=tmp_path)


def test_the_yaml_is_copied_from_the_installed_package(tmp_path: Path):
    yaml_only = weights.ModelWeights("demucs", demucs_weights("htdemucs").files[:1])
    weights.download(yaml_only, models_dir=tmp_path, log=lambda line: None)
    assert (tmp_path / "demucs" / "htdemucs.yaml").read_text().strip() == "models: ['955717e8']"


def test_fetch_models_check_lists_the_missing_files(settings, tmp_path, capsys):
    settings.MODELS_DIR, settings.VOCAL_MODEL = tmp_path, "htdemucs"
    with pytest.raises(CommandError, match="missing"):
        call_command("fetch_models", "demucs", "--check")
    assert "955717e8-8726e21a.th" in capsys.readouterr().out


def test_our_catalogue_reading_matches_demucs_own():
    from demucs.pretrained import REMOTE_ROOT, _parse_remote_files

    from vocal.weights import published_checkpoints

    assert published_checkpoints() == _parse_remote_files(REMOTE_ROOT / "files.txt")
