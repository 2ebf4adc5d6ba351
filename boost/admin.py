from django.contrib import admin

from audioservices.jobs.admin import JobAdmin
from boost.models import BoostJob


@admin.register(BoostJob)
class BoostJobAdmin(JobAdmin):
    list_display = [*JobAdmin.list_display, "boost_level"]
