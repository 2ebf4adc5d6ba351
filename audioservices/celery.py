import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "audioservices.settings")

app = Celery("audioservices")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["audioservices.jobs", "webhooks"])
