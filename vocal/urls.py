from django.urls import path

from vocal import api

urlpatterns = [
    # Named "-upload" like the other services' upload routes, so generic tests find it.
    path("separate/", api.VocalSeparateApi.as_view(), name="vocal-upload"),
    path("files/", api.VocalListApi.as_view(), name="vocal-list"),
    path("files/<int:file_id>/status/", api.VocalStatusApi.as_view(), name="vocal-status"),
    path("files/<int:file_id>/delete/", api.VocalDeleteApi.as_view(), name="vocal-delete"),
]
