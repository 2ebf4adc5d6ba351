from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "audioservices.jobs"
    label = "jobs"
    verbose_name = "Jobs"
