"""ws/processing/: a logged-in user's own job events, live.

On connect the user gets a snapshot of their unfinished jobs (channel-layer messages are
lossy and expire, so a client must be able to re-sync), then every event the workers send to
the user's group. The group is derived from the session's user, never from client input.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from audioservices.jobs import selectors
from audioservices.jobs.events import owner_group

UNAUTHENTICATED_CLOSE_CODE = 4401


@database_sync_to_async
def _snapshot(user) -> list[dict]:
    return [{"service": kind.name, "job": kind.serializer(job).data}
            for kind, job in selectors.job_unfinished_list(owner=user)]


class ProcessingConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=UNAUTHENTICATED_CLOSE_CODE)
            return
        self.group = owner_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "snapshot", "jobs": await _snapshot(user)})

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def job_event(self, event: dict) -> None:
        await self.send_json({"type": "job", "service": event["service"], "job": event["job"]})
