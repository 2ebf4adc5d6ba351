"""Cosine similarity -> 0-100 score: a logistic map fitted on real same/different-speaker pairs.

``manage.py calibrate_speaker`` fits one map per encoder and per scale: "utterance" (several
seconds of a speaker against an enrolment sample: the job's similarity_score) and "window"
(one 1.6 s analysis window against the enrolment: the extraction decision and the timeline).
The fitted numbers live in ``calibration.json`` beside this file, committed with the code.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")


class CalibrationMissing(Exception):
    """No fitted map for this encoder; the message says how to fit one."""


@dataclass(frozen=True)
class LogisticMap:
    slope: float
    intercept: float

    def probability(self, cosine: float) -> float:
        """P(same speaker | cosine), in 0-1."""
        z = self.slope * cosine + self.intercept
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def cosine_at(self, probability: float) -> float:
        """The cosine whose calibrated probability is ``probability`` (a threshold)."""
        return (math.log(probability / (1 - probability)) - self.intercept) / self.slope


@dataclass(frozen=True)
class Calibration:
    encoder: str
    utterance: LogisticMap
    window: LogisticMap

    def score(self, cosine: float) -> float:
        """The job's 0-100 similarity score, two decimals."""
        return round(100 * self.utterance.probability(cosine), 2)


def _map(entry: dict) -> LogisticMap:
    return LogisticMap(slope=float(entry["slope"]), intercept=float(entry["intercept"]))


def is_calibrated(encoder: str, path: Path = CALIBRATION_FILE) -> bool:
    try:
        load_calibration(encoder, path)  # cached; a missing one is looked for again next time
    except CalibrationMissing:
        return False
    return True


@lru_cache(maxsize=4)
def load_calibration(encoder: str, path: Path = CALIBRATION_FILE) -> Calibration:
    fitted = json.loads(path.read_text()) if path.exists() else {}
    if encoder not in fitted.get("encoders", {}):
        raise CalibrationMissing(
            f"No score calibration for the '{encoder}' encoder in {path.name}: run "
            f"`python manage.py calibrate_speaker --encoder {encoder}` and retry the job."
        )
    entry = fitted["encoders"][encoder]
    return Calibration(encoder, _map(entry["utterance"]), _map(entry["window"]))
