from django.contrib import admin

from audioservices.jobs.admin import JobAdmin
from denoise.models import DenoiseJob


@admin.register(DenoiseJob)
class DenoiseJobAdmin(JobAdmin):
    list_display = [*JobAdmin.list_display, "boost_level", "model", "strength"]
