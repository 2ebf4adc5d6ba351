"""/mixer/live in headless Chromium: the page loads the module, and a file rendered through
the AudioWorklet (OfflineAudioContext) comes out as the server's chain makes it.

Needs Debian's Chromium (apt-get install -y chromium; .ci/run installs it): Playwright's own
browser download does not work here. The page is plain HTTP, so the WSGI live_server will do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mixer import dsp
from mixer.presets import preset_for
from tests import signals

CHROMIUM = Path("/usr/bin/chromium")
FS, LATENCY = dsp.SAMPLE_RATE, dsp.LATENCY_SAMPLES
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--autoplay-policy=no-user-gesture-required",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]


@pytest.fixture
def logged_in_page(live_server, alice):
    """A Chromium page signed in as alice through the real login form."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{live_server.url}/accounts/login/?next=/mixer/live")
        page.fill("input[name=username]", "alice")
        page.fill("input[name=password]", "pw-alice")
        page.click("[type=submit]")
        page.wait_for_url(f"{live_server.url}/mixer/live")
        yield page
        browser.close()
        assert errors == []


def music_wav(tmp_path: Path, seconds: float = 2.0) -> Path:
    """A mono float32 WAV at 48 kHz (no resampling in the browser) of real, hot music."""
    music = (
        signals.load_mono(signals.HOT_MUSIC, FS)
        if signals.HOT_MUSIC.exists()
        else signals.speech(FS)
    )
    clip = music[FS : FS + round(seconds * FS)]
    path = tmp_path / "clip.wav"
    sf.write(path, (0.95 * clip / np.abs(clip).max()).astype(np.float32), FS, subtype="FLOAT")
    return path


def server_chain(x: np.ndarray, genre: str) -> np.ndarray:
    """The numba chain over x in 960-sample frames, realigned by its look-ahead latency."""
    state, padded = dsp.new_state(), np.concatenate([x, np.zeros(LATENCY, np.float32)])
    frames = [
        dsp.process(padded[i : i + 960], settings=preset_for(genre), state=state).samples
        for i in range(0, padded.size, 960)
    ]
    return np.concatenate(frames)[LATENCY : LATENCY + x.size]


def test_module_instantiates_on_the_page(logged_in_page):
    page = logged_in_page
    page.wait_for_selector("#status[data-state=ready]", timeout=20_000)
    assert "22 settings" in page.text_content("#status")
    assert page.text_content("#latency").startswith("1032 samples")
    assert page.locator("#controls input").count() == 22


def test_file_rendered_in_the_worklet_matches_the_server_chain(logged_in_page, tmp_path):
    page = logged_in_page
    wav = music_wav(tmp_path)
    page.wait_for_selector("#status[data-state=ready]", timeout=20_000)
    page.select_option("#preset", "rock")
    page.set_input_files("#file", str(wav))
    page.click("#render")
    page.wait_for_selector("#status[data-state=rendered]", timeout=60_000)
    render = page.evaluate("""() => ({input: Array.from(window.liveMixer.lastRender.input),
                                      output: Array.from(window.liveMixer.lastRender.output)})""")
    browser_in = np.array(render["input"], np.float32)
    browser_out = np.array(render["output"], np.float32)
    np.testing.assert_array_equal(browser_in, sf.read(wav, dtype="float32")[0])
    assert browser_out.size == browser_in.size
    expected = server_chain(browser_in, "rock")
    assert np.sqrt(np.mean(expected**2)) > 0.05  # real output, not silence
    assert np.max(np.abs(expected - browser_in)) > 0.05  # and really processed
    np.testing.assert_allclose(browser_out, expected, rtol=0, atol=1e-4)
    assert page.get_attribute("#download", "download") == "clip_mixed.wav"


@pytest.mark.parametrize("source", ["file", "mic"])
def test_live_playback_runs_the_chain_and_moves_the_meters(logged_in_page, tmp_path, source):
    """Real-time AudioContext; the microphone is Chromium's fake capture device (a beep)."""
    page = logged_in_page
    page.wait_for_selector("#status[data-state=ready]", timeout=20_000)
    page.check(f"input[name=source][value={source}]")
    page.set_input_files("#file", str(music_wav(tmp_path)))
    page.click("#start")
    page.wait_for_selector("#status[data-state=playing]", timeout=20_000)
    page.wait_for_function(
        "Number(document.getElementById('peak').textContent) > -60", timeout=20_000
    )
    page.select_option("#preset", "electronic")  # a live settings change is accepted
    page.click("#stop")
    page.wait_for_selector("#status[data-state=ready]", timeout=20_000)
