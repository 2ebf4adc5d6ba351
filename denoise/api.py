from rest_framework import serializers

from audioservices.jobs.api import (
    JobDeleteApi,
    JobListApi,
    JobStatusApi,
    JobUploadApi,
    boost_level_field,
)


class DenoiseUploadApi(JobUploadApi):
    kind_name = "denoise"

    class InputSerializer(serializers.Serializer):
        boost_level = boost_level_field(default="none")


class DenoiseListApi(JobListApi):
    kind_name = "denoise"


class DenoiseStatusApi(JobStatusApi):
    kind_name = "denoise"


class DenoiseDeleteApi(JobDeleteApi):
    kind_name = "denoise"
