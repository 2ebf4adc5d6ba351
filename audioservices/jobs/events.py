"""Job events to the owner's channel-layer group; the ws/processing/ consumer relays them.

Events are best effort (the database is the truth, and clients re-sync from it): a
channel-layer outage is logged, never allowed to fail a job.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from audioservices.jobs.models import AbstractJob
from audioservices.jobs.registry import for_model

logger = logging.getLogger(__name__)


def owner_group(owner_id: int) -> str:
    return f"jobs.user.{owner_id}"


def job_event_payload(job: AbstractJob) -> dict:
    kind = for_model(type(job))
    return {"type": "job.event", "service": kind.name, "job": kind.serializer(job).data}


def job_event_send(job: AbstractJob) -> None:
    try:
        async_to_sync(get_channel_layer().group_send)(
            owner_group(job.owner_id), job_event_payload(job)
        )
    except Exception:
        logger.warning("job event for %s not delivered", job, exc_info=True)
