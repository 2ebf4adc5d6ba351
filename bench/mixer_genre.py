"""Speed and quality of /extract-features, /classify-genre and the genre "auto" stream helper.

    python bench/mixer_genre.py [--stream-seconds 20] [--no-quality]

Speed: extract_features on 3 s and 60 s (the request limit) of real music at 48 kHz, classify
on a 3 s MFCC window, and genre_stream_update per 960-sample frame (median and 99th
percentile, state round-tripped through JSON as if it lived in Redis). Quality: the shipped
model on recordings it never saw (../shared/data/dev: 13 speakers, 5 music excerpts with a
clear genre), per class, 3 s windows. No Django.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mixer.features import extract_features
from mixer.genre import classify, load_model
from mixer.genre_stream import GenreStreamState, genre_stream_update
from tests.signals import DATA, load_mono

FS, FRAME = 48000, 960
DEV_MUSIC = {  # unseen tracks whose genre is clear from their source (see dev/README.md)
    "electronic_colobot_proton": "electronic",
    "electronic_moh_macroform_simplicity": "electronic",
    "synth_tuxtype_tuxi": "electronic",
    "orchestral_hedgewars_castle": "classical",
    "piano_blues_lincity_city_blues": "jazz",
}


def timed(call, repeat: int) -> float:
    """Median seconds of ``repeat`` calls, after one warm-up call."""
    call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def speed(model, music: np.ndarray, stream_seconds: float) -> None:
    params = model.feature_params
    long = np.tile(music, 60 * FS // music.size + 1)[: 60 * FS]
    for seconds, audio in ((3, music[: 3 * FS]), (60, long)):
        t = timed(lambda a=audio: extract_features(a, params=params), 3 if seconds > 3 else 20)
        print(f"extract_features {seconds:>2} s: {t * 1e3:8.1f} ms  ({seconds / t:.0f}x real time)")
    window = extract_features(music[: 3 * FS], params=params).mfcc
    t = timed(lambda: classify(window, return_probabilities=True, model=model), 200)
    print(f"classify 3 s window: {t * 1e6:8.0f} µs")
    state, per_frame = GenreStreamState(), []
    stream = np.tile(music, int(stream_seconds * FS) // music.size + 1)[: int(stream_seconds * FS)]
    for start in range(0, stream.size - FRAME + 1, FRAME):
        begin = time.perf_counter()
        state = GenreStreamState.from_json(json.loads(json.dumps(state.to_json())))
        state = genre_stream_update(state, stream[start : start + FRAME], model=model).state
        per_frame.append(time.perf_counter() - begin)
    median, p99 = np.median(per_frame), np.percentile(per_frame, 99)
    print(f"stream update per 960-sample frame (incl. JSON state): median {median * 1e6:.0f} µs,"
          f" p99 {p99 * 1e6:.0f} µs ({0.02 / median:.0f}x real time at the median)")


def windows(audio: np.ndarray) -> list[np.ndarray]:
    return [audio[s : s + 3 * FS] for s in range(0, audio.size - 3 * FS + 1, 3 * FS)]


def quality(model) -> None:
    verdicts: dict[str, Counter] = {}
    cases = [(DATA / "music" / f"{name}.flac", label) for name, label in DEV_MUSIC.items()]
    speakers = sorted((DATA / "speech").iterdir())
    cases += [(speaker, "speech") for speaker in speakers]
    for path, label in cases:
        audio = (np.concatenate([load_mono(p, FS) for p in sorted(path.glob("*.flac"))])
                 if path.is_dir() else load_mono(path, FS))
        for piece in windows(audio):
            mfcc = extract_features(piece, params=model.feature_params).mfcc
            got = classify(mfcc, return_probabilities=False, model=model)["genre"]
            verdicts.setdefault(label, Counter())[got] += 1
    print("\nunseen recordings (../shared/data/dev), 3 s windows:")
    for label, counts in sorted(verdicts.items()):
        total = sum(counts.values())
        print(f"  {label:<11} {counts[label] / total:5.0%} of {total:>3} windows  "
              f"(predicted: {dict(counts.most_common())})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stream-seconds", type=float, default=20.0)
    parser.add_argument("--no-quality", action="store_true")
    args = parser.parse_args()
    model = load_model()
    music = load_mono(DATA / "music" / "electronic_colobot_proton.flac", FS)
    print(f"genre model {model.version}")
    speed(model, music, args.stream_seconds)
    if not args.no_quality:
        quality(model)
    print(f"\npeak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
