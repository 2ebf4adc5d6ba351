"""Deliveries run as Celery tasks; retries are re-scheduled tasks with exponential backoff."""

from celery import shared_task
from django.db import close_old_connections

from webhooks import services
from webhooks.models import DeliveryStatus, WebhookDelivery


@shared_task(name="webhooks.deliver", ignore_result=True, acks_late=True)
def deliver(delivery_id: int) -> None:
    close_old_connections()
    delivery = (WebhookDelivery.objects.select_related("endpoint")
                .filter(pk=delivery_id, status=DeliveryStatus.PENDING).first())
    if delivery is None:
        return  # delivered, given up, or deleted meanwhile
    if services.delivery_attempt(delivery=delivery) == "retry":
        services.delivery_enqueue(delivery=delivery,
                                  countdown=services.retry_delay(delivery.attempts))
