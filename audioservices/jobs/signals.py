"""`job_finished(job=...)`: sent once when a job reaches completed or its failed status.

Other apps (webhooks) listen; the job machinery does not know them.
"""

from django.dispatch import Signal

job_finished = Signal()
