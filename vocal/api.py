from audioservices.jobs.api import JobDeleteApi, JobListApi, JobStatusApi, JobUploadApi
from audioservices.jobs.errors import NO_FILE


class VocalSeparateApi(JobUploadApi):
    kind_name = "vocal"
    missing_file_message = NO_FILE
    started_message = "Vocal separation started"


class VocalListApi(JobListApi):
    kind_name = "vocal"


class VocalStatusApi(JobStatusApi):
    kind_name = "vocal"


class VocalDeleteApi(JobDeleteApi):
    kind_name = "vocal"
