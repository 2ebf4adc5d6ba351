from django.contrib import admin

from audioservices.jobs.admin import JobAdmin
from vocal.models import VocalJob


@admin.register(VocalJob)
class VocalJobAdmin(JobAdmin):
    pass
