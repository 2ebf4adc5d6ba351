from django.urls import path

from speaker import api

urlpatterns = [
    path("extract/", api.SpeakerExtractApi.as_view(), name="speaker-upload"),
    path("files/", api.SpeakerListApi.as_view(), name="speaker-list"),
    path("files/<int:file_id>/status/", api.SpeakerStatusApi.as_view(), name="speaker-status"),
    path("files/<int:file_id>/delete/", api.SpeakerDeleteApi.as_view(), name="speaker-delete"),
]
