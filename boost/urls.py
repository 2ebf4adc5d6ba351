from django.urls import path

from boost import api

urlpatterns = [
    path("upload/", api.BoostUploadApi.as_view(), name="boost-upload"),
    path("files/", api.BoostListApi.as_view(), name="boost-list"),
    path("files/<int:file_id>/status/", api.BoostStatusApi.as_view(), name="boost-status"),
    path("files/<int:file_id>/delete/", api.BoostDeleteApi.as_view(), name="boost-delete"),
]
