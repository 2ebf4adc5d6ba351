from rest_framework import serializers

from audioservices.jobs.serializers import FileUrlField, JobSerializer
from speaker.models import SpeakerJob


class TimelineSegmentSerializer(serializers.Serializer):
    start = serializers.FloatField(help_text="seconds")
    end = serializers.FloatField(help_text="seconds")
    score = serializers.FloatField(help_text="0-100: how likely the target speaks here")
    target = serializers.BooleanField(help_text="kept in the extracted file")


class SpeakerJobSerializer(JobSerializer):
    # The spec names the conversation's fields conversation_*; the generic names go.
    filename = None
    original_url = None
    conversation_filename = serializers.CharField(source="original_filename", read_only=True)
    conversation_url = FileUrlField(source="original_file")
    target_url = FileUrlField(source="target_file")
    extracted_url = FileUrlField(source="extracted_file")
    timeline = TimelineSegmentSerializer(many=True, read_only=True)

    class Meta(JobSerializer.Meta):
        model = SpeakerJob
        fields = [
            "id", "conversation_filename", "target_filename", "status", "progress",
            "boost_level", "similarity_score", "encoder", "duration", "conversation_url",
            "target_url", "extracted_url", "timeline", "error_message", "uploaded_at",
            "processed_at", "report", "waveforms",
        ]
        read_only_fields = fields
