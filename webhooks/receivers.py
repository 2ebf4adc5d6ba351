"""File jobs' final states become `job.completed` / `job.failed` webhook events."""

import logging

from django.dispatch import receiver

from audioservices.jobs.events import job_event_payload
from audioservices.jobs.signals import job_finished
from webhooks import services

logger = logging.getLogger(__name__)


@receiver(job_finished)
def job_finished_emit(sender, job, **kwargs) -> None:
    event = "job.completed" if job.status == "completed" else "job.failed"
    payload = job_event_payload(job)
    try:
        services.event_emit(owner_id=job.owner_id, event=event,
                            data={"service": payload["service"], "job": payload["job"]})
    except Exception:  # a webhook problem must never change the job's outcome
        logger.exception("webhook event %s for %s not queued", event, job)
