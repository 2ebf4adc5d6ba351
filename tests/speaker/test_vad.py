"""Silero VAD run as a batch of short pieces with a lead-in, against Silero's own walk."""

import numpy as np
import pytest
import torch
from silero_vad import get_speech_timestamps

from speaker.vad import CHUNK, PIECE_CHUNKS, load_vad, speech_probabilities, speech_regions
from tests.speaker.conversation import RATE, build


def _mask(regions: list[tuple[int, int]], length: int) -> np.ndarray:
    mask = np.zeros(length, dtype=bool)
    for start, end in regions:
        mask[start:end] = True
    return mask


@pytest.fixture(scope="module")
def conversation() -> np.ndarray:
    return build("en_ls3331_f", ["en_ls2033_m", "en_ls2609_m"], turns=2).mix


@pytest.mark.parametrize("chunks", [1, PIECE_CHUNKS - 1, PIECE_CHUNKS, 3 * PIECE_CHUNKS + 7])
def test_every_chunk_gets_one_probability(conversation, chunks):
    wav = conversation[: chunks * CHUNK - 100]
    probs = speech_probabilities(wav)
    assert probs.shape == (chunks,)
    assert ((probs >= 0) & (probs <= 1)).all()


def test_pieces_find_the_speech_silero_finds_walking_the_whole_file(conversation):
    # Silero's own walk: one 32 ms chunk after the other, the state never reset.
    walked = get_speech_timestamps(
        torch.from_numpy(conversation),
        load_vad(),
        sampling_rate=RATE,
        min_silence_duration_ms=150,
        speech_pad_ms=30,
    )
    expected = _mask([(t["start"], t["end"]) for t in walked], conversation.size)
    found = _mask(speech_regions(conversation), conversation.size)
    assert conversation.size > 8 * PIECE_CHUNKS * CHUNK  # many pieces, many seams
    assert np.mean(found == expected) >= 0.99
    assert found[expected].mean() >= 0.99  # speech is not lost at the pieces' seams
