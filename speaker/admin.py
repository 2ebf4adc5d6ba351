from django.contrib import admin

from audioservices.jobs.admin import JobAdmin
from speaker.models import SpeakerJob


@admin.register(SpeakerJob)
class SpeakerJobAdmin(JobAdmin):
    list_display = [*JobAdmin.list_display, "target_filename", "similarity_score", "encoder"]
    readonly_fields = [*JobAdmin.readonly_fields, "target_file", "target_filename",
                       "similarity_score", "encoder", "timeline"]
