"""ws/processing/ over the real channel layer (Redis), authenticated by the real session."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from audioservices.asgi import application
from audioservices.jobs.events import job_event_send
from boost.models import BoostJob

pytestmark = pytest.mark.django_db(transaction=True)


def session_headers(user, origin: bytes = b"http://localhost") -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    return [(b"cookie", cookie), (b"origin", origin)]


def make_job(owner, status="processing") -> BoostJob:
    return BoostJob.objects.create(owner=owner, original_file="uploads/x.wav",
                                   original_filename="x.wav", audio_format="wav", status=status)


async def _connect(headers):
    communicator = WebsocketCommunicator(application, "/ws/processing/", headers=headers)
    connected, _ = await communicator.connect()
    return communicator, connected


def test_owner_gets_a_snapshot_then_live_events_and_others_get_nothing(alice, bob):
    running = make_job(alice)
    make_job(alice, status="completed")
    alice_headers, bob_headers = session_headers(alice), session_headers(bob)
    send = database_sync_to_async(job_event_send)

    async def scenario():
        mine, ok_mine = await _connect(alice_headers)
        theirs, ok_theirs = await _connect(bob_headers)
        assert ok_mine
        assert ok_theirs
        snapshot = await mine.receive_json_from()
        assert snapshot["type"] == "snapshot"
        assert [(j["service"], j["job"]["id"]) for j in snapshot["jobs"]] == [("boost", running.pk)]
        assert (await theirs.receive_json_from())["jobs"] == []
        running.progress = 42
        await send(running)
        event = await mine.receive_json_from(timeout=5)
        assert event["type"] == "job"
        assert (event["job"]["id"], event["job"]["progress"]) == (running.pk, 42)
        assert await theirs.receive_nothing(timeout=0.5)
        await mine.disconnect()
        await theirs.disconnect()

    async_to_sync(scenario)()


def test_anonymous_socket_is_refused():
    async def scenario():
        _, connected = await _connect([(b"origin", b"http://localhost")])
        assert not connected

    async_to_sync(scenario)()


def test_foreign_origin_is_refused(alice):
    headers = session_headers(alice, b"https://evil.example")

    async def scenario():
        _, connected = await _connect(headers)
        assert not connected

    async_to_sync(scenario)()
