from audioservices.jobs.serializers import FileUrlField, JobSerializer
from boost.models import BoostJob


class BoostJobSerializer(JobSerializer):
    boosted_url = FileUrlField(source="boosted_file")

    class Meta(JobSerializer.Meta):
        model = BoostJob
        fields = [*JobSerializer.Meta.fields, "boost_level", "boosted_url"]
        read_only_fields = fields
