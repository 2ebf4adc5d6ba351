"""End to end in a real browser: log in, open the modal, upload a real recording, watch the
job finish without reloading, download the result, delete the job.

Real parts only: daphne serving HTTP and ws/processing/, a Celery worker, the test database,
Redis, and Debian's Chromium driven by Playwright.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from playwright.sync_api import Page, expect

from tests import signals

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PASSWORD = "a-long-test-password"
COMPLETED_TIMEOUT_MS = 90_000


@pytest.fixture
def user(transactional_db, django_user_model):
    # Requested before browser_page: while Playwright runs, this thread has an event loop
    # and Django refuses ORM calls from it.
    return django_user_model.objects.create_user(username="carol", password=PASSWORD)


def noisy_speech_wav(folder: Path) -> Path:
    """A real recording (speech + running water), 4 s, as a 16-bit WAV."""
    rate = 44100
    speech = signals.speech(rate)[: 4 * rate]
    noisy = signals.mix_at_snr(speech, signals.noise(rate, speech.size), 5.0) * 0.3
    path = folder / "interview.wav"
    sf.write(str(path), np.stack([noisy, noisy]).T, rate, subtype="PCM_16")
    return path


def log_in_and_open_modal(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Denoise a file").click()
    expect(page.get_by_role("dialog")).to_be_visible()


def upload(page: Page, *, tab: str, wav: Path, level: str) -> None:
    page.get_by_role("tab", name=tab).click()
    panel = page.get_by_role("tabpanel", name=tab)
    panel.get_by_label("Audio file").set_input_files(str(wav))
    panel.get_by_label("Boost level").select_option(level)
    panel.get_by_role("button", name="Upload").click()
    expect(panel.get_by_role("status").filter(has_text="started")).to_be_visible()


def assert_upload_progress_reached_the_whole_body(page: Page, service: str, wav: Path) -> None:
    sent, total = page.locator(f"#{service}-upload-progress").evaluate("b => [b.value, b.max]")
    assert total > wav.stat().st_size  # the multipart body: the file plus its envelope
    assert sent == total


def completed_card(page: Page, service: str):
    card = page.locator(f"#{service}-jobs li.job")
    expect(card).to_have_count(1)
    expect(card).to_have_attribute("data-status", "completed", timeout=COMPLETED_TIMEOUT_MS)
    return card


def assert_pictures_and_players(card, output_label: str) -> None:
    for label in ("Original", output_label):
        picture = card.get_by_role("img", name=f"Waveform: {label}")
        expect(picture).to_be_visible()
        assert picture.evaluate("img => img.complete && img.naturalWidth") == 800
        expect(card.get_by_label(label, exact=True)).to_have_attribute("src", re.compile("^/media/"))


def download_output(page: Page, card, output_label: str, folder: Path) -> Path:
    with page.expect_download() as download:
        card.get_by_role("link", name=f"Download {output_label.lower()}").click()
    saved = folder / download.value.suggested_filename
    download.value.save_as(saved)
    return saved


def delete_job(page: Page, service: str, card) -> int:
    job_id = int(card.get_attribute("data-job-id"))
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Delete").click()
    expect(page.locator(f"#{service}-jobs li.job")).to_have_count(0)
    return job_id


def run_flow(page: Page, tmp_path: Path, *, service: str, tab: str, output_label: str) -> Path:
    wav = noisy_speech_wav(tmp_path)
    page.evaluate("window.notReloaded = true")
    upload(page, tab=tab, wav=wav, level="2x")
    assert_upload_progress_reached_the_whole_body(page, service, wav)
    card = completed_card(page, service)
    assert page.evaluate("window.notReloaded") is True
    expect(card).to_contain_text("Duration 00:04")
    expect(card).to_contain_text(re.compile(r"Loudness -[\d.]+ LUFS → -[\d.]+ LUFS"))
    assert_pictures_and_players(card, output_label)
    page.screenshot(path=str(tmp_path / f"{service}-completed.png"), full_page=True)
    saved = download_output(page, card, output_label, tmp_path)
    assert saved.name == f"interview_{output_label.lower()}.wav"
    output, rate = sf.read(str(saved))
    assert (rate, output.shape) == (44100, (4 * 44100, 2))
    job_id = delete_job(page, service, card)
    gone = page.request.get(f"/api/{service}/files/{job_id}/status/")
    assert gone.status == 404
    return tmp_path / f"{service}-completed.png"


def test_denoise_tab_live_over_the_websocket(user, browser_page, tmp_path):
    page = browser_page
    log_in_and_open_modal(page, user.username)
    expect(page.locator("#live-state")).to_have_text("Live updates on")
    screenshot = run_flow(page, tmp_path, service="denoise", tab="File denoise",
                          output_label="Denoised")
    assert screenshot.stat().st_size > 10_000


def test_boost_tab_falls_back_to_polling_when_the_socket_is_down(user, browser_page, tmp_path):
    page = browser_page
    page.route_web_socket(re.compile("/ws/processing/"), lambda socket: socket.close())
    log_in_and_open_modal(page, user.username)
    expect(page.locator("#live-state")).to_contain_text("checking every 4 s")
    panel = page.get_by_role("tabpanel", name="Audio boost")
    page.get_by_role("tab", name="Audio boost").click()
    panel.get_by_role("button", name="Upload").click()
    expect(panel.get_by_role("status")).to_have_text("No file provided")
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("these are notes, not audio\n")
    panel.get_by_label("Audio file").set_input_files(str(not_audio))
    panel.get_by_role("button", name="Upload").click()
    expect(panel.get_by_role("status")).to_have_text(
        "Unsupported file type. Please upload MP3, WAV, M4A, or FLAC files.")
    screenshot = run_flow(page, tmp_path, service="boost", tab="Audio boost",
                          output_label="Boosted")
    assert screenshot.stat().st_size > 10_000
