import numpy as np
import pytest

from audioservices.audio.errors import InvalidAudio
from audioservices.audio.io import decode, encode
from audioservices.audio.validate import probe, sniff_format
from tests import signals

# AAC and MP3 encoders add priming/padding samples that most decoders keep (no gapless info).
DURATION_TOLERANCE_S = {"wav": 0.0, "flac": 0.0, "mp3": 0.1, "m4a": 0.1}


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3", "m4a"])
@pytest.mark.parametrize(("rate", "channels"), [(44100, 2), (22050, 1)])
def test_round_trip_keeps_format_rate_channels_and_duration(tmp_path, fmt, rate, channels):
    audio = signals.tone(3.0, sample_rate=rate, channels=channels)
    path = tmp_path / f"x.{fmt}"
    encode(path, audio, sample_rate=rate, fmt=fmt)
    info = probe(path, max_duration_s=60)
    decoded = decode(path, info=info, max_duration_s=60)
    assert (info.format, info.sample_rate, info.channels) == (fmt, rate, channels)
    assert decoded.shape[0] == channels
    assert decoded.shape[1] / rate == pytest.approx(3.0, abs=DURATION_TOLERANCE_S[fmt] + 1e-9)
    assert not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize(
    "head",
    [b"hello, this is text", b"\x89PNG\r\n\x1a\n" + b"\0" * 20, b"#EXTM3U\nfile:///etc/passwd\n",
     b"<!doctype html><html>", b"import os\nprint(1)\n", b""],
)
def test_sniff_rejects_what_is_not_audio(head):
    assert sniff_format(head) is None


def test_decode_stops_when_audio_outgrows_the_limit(tmp_path):
    path = tmp_path / "long.wav"
    encode(path, signals.tone(5.0, channels=1), sample_rate=44100, fmt="wav")
    info = probe(path, max_duration_s=60)
    with pytest.raises(InvalidAudio, match="limit"):
        decode(path, info=info, max_duration_s=2.0)


def test_nan_samples_are_refused(tmp_path):
    path = tmp_path / "nan.wav"
    audio = signals.tone(1.0, channels=1)
    audio[0, 100] = np.nan
    import soundfile as sf

    sf.write(str(path), audio.T, 44100, subtype="FLOAT")
    with pytest.raises(InvalidAudio, match="NaN"):
        decode(path, info=probe(path, max_duration_s=60), max_duration_s=60)
