"""One admin for every job model: registered by each service's admin.py."""

from django.contrib import admin, messages

from audioservices.jobs import registry, services


class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "original_filename", "owner", "status", "progress", "uploaded_at",
                    "processed_at"]
    list_filter = ["status"]
    search_fields = ["original_filename", "owner__username", "owner__email"]
    list_select_related = ["owner"]
    readonly_fields = ["status", "progress", "error_message", "original_file", "audio_format",
                       "duration_seconds", "report", "attempts", "uploaded_at", "started_at",
                       "heartbeat_at", "processed_at"]
    actions = ["retry_failed", "delete_with_files"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, *self.model.output_fields]

    @admin.action(description="Retry failed jobs")
    def retry_failed(self, request, queryset) -> None:
        kind = registry.for_model(self.model)
        retried = sum(services.job_retry(kind=kind, job=job) for job in queryset)
        self.message_user(request, f"{retried} job(s) queued again.", messages.SUCCESS)

    @admin.action(description="Delete with files")
    def delete_with_files(self, request, queryset) -> None:
        count = 0
        for job in queryset:
            services.job_delete(job=job)
            count += 1
        self.message_user(request, f"{count} job(s) and their files deleted.", messages.SUCCESS)
