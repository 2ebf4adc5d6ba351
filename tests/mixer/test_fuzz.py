"""Random JSON, and the malformed-audio corpus as raw bodies, at every mixer endpoint that
takes a body: always a 2xx or a 4xx in the spec's error format, never a 5xx."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db
ENDPOINTS = ["/process-audio", "/extract-features", "/classify-genre", "/config"]
CORPUS = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "audio" / "invalid").iterdir())
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=6), st.dictionaries(st.text(max_size=12), inner, max_size=5)),
    max_leaves=30)
# Bodies shaped like the real ones, with wrong details, reach deeper than random JSON does.
shaped = st.fixed_dictionaries({}, optional={
    "audioBuffer": st.one_of(st.lists(st.floats(allow_nan=False, allow_infinity=False,
                                                width=32), min_size=955, max_size=965),
                             json_values),
    "features": st.one_of(st.lists(st.lists(st.floats(-1e3, 1e3), min_size=13, max_size=13),
                                   max_size=5), json_values),
    "config": st.one_of(st.fixed_dictionaries({}, optional={
        "genre": st.sampled_from(["auto", "rock", "polka", ""]),
        "gain": st.floats(-100, 100), "compressor": json_values, "eq": json_values}),
        json_values),
    "dsp": json_values, "fftSize": json_values, "hopSize": json_values,
    "numCoefficients": json_values, "windowType": json_values, "sampleRate": json_values,
    "returnProbabilities": json_values, "streamId": json_values,
})


def assert_answered(response) -> None:
    assert response.status_code < 500, response.content[:300]
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error["code"]
        assert error["message"]


@FUZZ
@given(path=st.sampled_from(ENDPOINTS), body=st.one_of(json_values, shaped))
def test_random_json_never_gets_a_5xx(api, path, body):
    method = api.put if path == "/config" else api.post
    assert_answered(method(path, body, format="json"))


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("sample", CORPUS, ids=lambda p: p.name)
def test_the_malformed_audio_corpus_as_a_body_is_a_4xx(api, path, sample):
    method = api.put if path == "/config" else api.post
    response = method(path, sample.read_bytes(), content_type="application/json")
    assert_answered(response)
    if sample.stat().st_size:  # an empty PUT /config body is an empty change: 200
        assert response.status_code >= 400
