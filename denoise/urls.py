from django.urls import path

from denoise import api

urlpatterns = [
    path("upload/", api.DenoiseUploadApi.as_view(), name="denoise-upload"),
    path("files/", api.DenoiseListApi.as_view(), name="denoise-list"),
    path("files/<int:file_id>/status/", api.DenoiseStatusApi.as_view(), name="denoise-status"),
    path("files/<int:file_id>/delete/", api.DenoiseDeleteApi.as_view(), name="denoise-delete"),
]
