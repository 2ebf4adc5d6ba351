"""Re-queue or fail jobs whose worker died; the same sweep Celery beat runs every minute."""

from django.conf import settings
from django.core.management.base import BaseCommand

from audioservices.jobs import services


class Command(BaseCommand):
    help = "Re-queue jobs with a stale heartbeat or a lost message; fail those out of attempts."

    def handle(self, *args, **options):
        report = services.job_sweep(stale_after_s=settings.JOB_HEARTBEAT_STALE_S,
                                    pending_after_s=settings.JOB_PENDING_REQUEUE_S)
        self.stdout.write(f"re-queued {report.requeued}, failed {report.failed}")
