from audioservices.jobs.serializers import FileUrlField, JobSerializer
from denoise.models import DenoiseJob


class DenoiseJobSerializer(JobSerializer):
    denoised_url = FileUrlField(source="denoised_file")

    class Meta(JobSerializer.Meta):
        model = DenoiseJob
        fields = [*JobSerializer.Meta.fields, "boost_level", "model", "strength", "denoised_url"]
        read_only_fields = fields
