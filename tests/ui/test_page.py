"""The home page and its modal's configuration: tabs for registered services only, and the
client-side checks' messages word for word the API's."""

import json

import pytest
from django.test import Client

from audioservices.jobs import registry
from audioservices.ui.tabs import TABS, tabs_available
from denoise.engine import ENGINE_NAMES
from tests import signals

pytestmark = pytest.mark.django_db


def page_config(client: Client) -> dict:
    html = client.get("/").content.decode()
    start = html.index('<script id="services-config" type="application/json">')
    body = html[html.index(">", start) + 1 : html.index("</script>", start)]
    return json.loads(body)


@pytest.fixture
def browser_client(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


def test_anonymous_visitor_gets_a_login_link_and_no_modal():
    html = Client().get("/").content.decode()
    assert 'href="/accounts/login/"' in html
    assert "services-config" not in html
    assert "Denoise a file" not in html


def test_signed_in_user_gets_the_button_the_script_and_a_tab_per_registered_service(browser_client):
    html = browser_client.get("/").content.decode()
    assert "Denoise a file" in html
    assert "/static/js/services.js" in html
    config = page_config(browser_client)
    registered = {kind.name for kind in registry.all_kinds()}
    assert [tab["kind"] for tab in config["tabs"]] == [t.kind for t in TABS if t.kind in registered]
    assert {"denoise", "boost"} <= {tab["kind"] for tab in config["tabs"]}
    denoise = config["tabs"][0]
    assert denoise["label"] == "File denoise"
    assert denoise["file_fields"] == ["audio_file"]
    assert [f["name"] for f in denoise["fields"]] == ["audio_file", "model", "boost_level"]
    engine = denoise["fields"][1]
    assert (engine["choices"], engine["default"]) == (list(ENGINE_NAMES), "dfn3-nsnet2")


def test_the_engine_choice_defaults_to_the_setting_when_the_page_is_served(alice, client_for,
                                                                           settings):
    settings.DENOISE_ENGINE = "rnnoise"
    denoise = next(t for t in page_config(client_for(alice))["tabs"] if t["kind"] == "denoise")
    assert denoise["fields"][1]["default"] == "rnnoise"


def test_tabs_of_services_not_installed_are_hidden():
    shown = {tab.kind for tab in tabs_available()}
    for tab in TABS:
        assert (tab.kind in shown) == (tab.kind in {k.name for k in registry.all_kinds()})


def test_the_script_and_its_styles_are_served(browser_client):
    for path in ("/static/js/services.js", "/static/css/services.css"):
        response = browser_client.get(path)
        assert response.status_code == 200, path


def _post(client: Client, tab: dict, files: dict) -> dict:
    response = client.post(tab["upload_url"], files)
    return {"status": response.status_code, "message": response.json()["message"]}


# Django is set up before collection, so every registered service (vocal and speaker too,
# once their apps are installed) is checked here.
@pytest.mark.parametrize("tab_kind", [tab.kind for tab in tabs_available()])
def test_page_messages_are_the_apis_own(tab_kind, browser_client, settings, tmp_path):
    config = page_config(browser_client)
    tab = next(t for t in config["tabs"] if t["kind"] == tab_kind)
    assert _post(browser_client, tab, {}) == {"status": 400, "message": tab["missing_file_message"]}
    text = {name: signals.upload(b"not audio at all\n" * 20, "song.mp3") for name in tab["file_fields"]}
    assert _post(browser_client, tab, text) == {"status": 415, "message": config["messages"]["unsupported"]}
    settings.UPLOAD_MAX_BYTES = 1024
    config = page_config(browser_client)
    assert config["maxUploadBytes"] == 1024
    wav = signals.encoded(signals.tone(0.5), sample_rate=44100, fmt="wav", tmp_path=tmp_path)
    big = {name: signals.upload(wav, "big.wav") for name in tab["file_fields"]}
    assert _post(browser_client, tab, big) == {"status": 413, "message": config["messages"]["tooLarge"]}
