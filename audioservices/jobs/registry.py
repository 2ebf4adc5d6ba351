"""Each file service registers one JobKind: what differs between services, in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audioservices.jobs.models import AbstractJob

_KINDS: dict[str, JobKind] = {}


@dataclass(frozen=True)
class JobKind:
    name: str  # "denoise": the URL prefix, the task argument, the event's "service"
    model: type[AbstractJob]
    serializer_path: str  # dotted path of the status serializer
    processor_path: str  # dotted path of ``process(job, audio, *, sample_rate, progress)``
    queue: str = "cpu"  # "gpu" for model jobs
    # True: the processor is ``process(job, source: RawAudio, *, sample_rate, progress,
    # scratch)``, reads its input window by window from a temporary file and may return
    # block sources (jobs.tasks): memory stays flat in the file's length.
    streams_audio: bool = False
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def _load(self, path: str) -> Any:
        if path not in self._cache:
            module, _, attr = path.rpartition(".")
            self._cache[path] = getattr(import_module(module), attr)
        return self._cache[path]

    @property
    def serializer(self) -> Any:
        return self._load(self.serializer_path)

    @property
    def processor(self) -> Any:
        return self._load(self.processor_path)


def register(kind: JobKind) -> JobKind:
    _KINDS[kind.name] = kind
    return kind


def get(name: str) -> JobKind:
    return _KINDS[name]


def for_model(model: type[AbstractJob]) -> JobKind:
    return next(kind for kind in _KINDS.values() if kind.model is model)


def all_kinds() -> list[JobKind]:
    return list(_KINDS.values())
