"""Hypothesis throws random bytes at the decoder and random forms at the upload endpoints.

The decoder may only ever answer with audio or InvalidAudio (never another exception, never
an unbounded allocation); the endpoints only ever with a 2xx or a 4xx in the spec's body.
"""

from pathlib import Path

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audioservices.audio import io
from audioservices.audio.errors import InvalidAudio
from audioservices.audio.validate import probe
from audioservices.jobs.registry import all_kinds
from tests import signals

# Random tails behind real container signatures reach the demuxers, not just the sniffer.
PREFIXES = [b"", b"RIFF\x24\x00\x00\x00WAVEfmt ", b"fLaC\x00\x00\x00\x22", b"ID3\x04\x00",
            b"\xff\xfb\x90\x64", b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00"]
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(prefix=st.sampled_from(PREFIXES), tail=st.binary(max_size=4096))
def test_the_decoder_only_ever_raises_invalid_audio(tmp_path_factory, prefix, tail):
    path = Path(tmp_path_factory.mktemp("fuzz")) / "input"
    path.write_bytes(prefix + tail)
    try:
        info = probe(path, max_duration_s=60)
        audio = io.decode(path, info=info, max_duration_s=60)
    except InvalidAudio:
        return
    assert audio.shape[0] == info.channels
    assert audio.shape[1] <= 61 * info.sample_rate


KIND_NAMES = [kind.name for kind in all_kinds()]
field_values = st.one_of(st.text(max_size=20), st.sampled_from(["2x", "5x", "none", "", "0"]))


@pytest.mark.django_db
@FUZZ
@given(kind=st.sampled_from(KIND_NAMES), prefix=st.sampled_from(PREFIXES),
       tail=st.binary(max_size=2048),
       name=st.text(min_size=0, max_size=40).filter(lambda n: "\x00" not in n),
       extra=st.dictionaries(st.sampled_from(["boost_level", "model", "strength", "x", "file_id"]),
                             field_values, max_size=3),
       file_field=st.sampled_from(["audio_file", "file", "conversation_file"]))
def test_upload_endpoints_never_answer_5xx(alice, client_for, kind, prefix, tail, name, extra,
                                           file_field):
    client = client_for(alice)
    form = {**extra, file_field: signals.upload(prefix + tail, name or "x")}
    response = client.post(reverse(f"{kind}-upload"), form)
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        body = response.json()
        assert body["status"] == "error"
        assert isinstance(body["message"], str)
        assert body["message"]
