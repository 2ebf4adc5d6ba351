from audioservices.jobs.serializers import FileUrlField, JobSerializer
from vocal.models import VocalJob


class VocalJobSerializer(JobSerializer):
    vocals_url = FileUrlField(source="vocals_file")
    instrumental_url = FileUrlField(source="instrumental_file")

    class Meta(JobSerializer.Meta):
        model = VocalJob
        fields = [*JobSerializer.Meta.fields, "vocals_url", "instrumental_url"]
        read_only_fields = fields
