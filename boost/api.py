from rest_framework import serializers

from audioservices.jobs.api import (
    JobDeleteApi,
    JobListApi,
    JobStatusApi,
    JobUploadApi,
    boost_level_field,
)
from audioservices.jobs.errors import NO_FILE


class BoostUploadApi(JobUploadApi):
    kind_name = "boost"
    missing_file_message = NO_FILE
    started_message = "Audio boost started"

    class InputSerializer(serializers.Serializer):
        boost_level = boost_level_field(default="3x", allow_none=False)


class BoostListApi(JobListApi):
    kind_name = "boost"


class BoostStatusApi(JobStatusApi):
    kind_name = "boost"


class BoostDeleteApi(JobDeleteApi):
    kind_name = "boost"
