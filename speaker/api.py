from rest_framework import serializers

from audioservices.jobs.api import (
    JobDeleteApi,
    JobListApi,
    JobStatusApi,
    JobUploadApi,
    boost_level_field,
)
from audioservices.jobs.errors import BOTH_FILES_REQUIRED


class SpeakerExtractApi(JobUploadApi):
    kind_name = "speaker"
    file_field = "conversation_file"
    extra_file_fields = {"target_speaker_file": "target_file"}
    missing_file_message = BOTH_FILES_REQUIRED
    started_message = "Speaker extraction started"

    class InputSerializer(serializers.Serializer):
        boost_level = boost_level_field(default="none")


class SpeakerListApi(JobListApi):
    kind_name = "speaker"


class SpeakerStatusApi(JobStatusApi):
    kind_name = "speaker"


class SpeakerDeleteApi(JobDeleteApi):
    kind_name = "speaker"
