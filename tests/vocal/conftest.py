import pytest
import torch
from django.conf import settings

from tests.vocal.tiny_model import NAME, tiny_demucs_save
from vocal import engine

# One thread: on a shared 2-core machine torch's thread pool oversubscribes the cores and a
# forward pass of the small model takes seconds instead of a fraction of one.
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_model_installed():
    """The test model in the session's MODELS_DIR, where the Celery worker looks too."""
    tiny_demucs_save(settings.MODELS_DIR)
    return settings.MODELS_DIR


@pytest.fixture(scope="session")
def tiny_model(tiny_model_installed):
    return engine.model_load(name=NAME, models_dir=tiny_model_installed)
