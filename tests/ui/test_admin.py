"""The admin: every registered model's pages open, and every job model gets the job admin."""

import io

import pytest
from django.contrib import admin
from django.core.files.storage import default_storage
from django.urls import reverse
from model_bakery import baker

from audioservices.jobs import registry, storage
from audioservices.jobs.admin import JobAdmin
from audioservices.jobs.models import JobStatus

pytestmark = pytest.mark.django_db

JOB_KINDS = registry.all_kinds()
TIMESTAMPS = {"uploaded_at", "started_at", "heartbeat_at", "processed_at"}


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def sample(model, owner):
    if any(k.model is model for k in JOB_KINDS):
        return baker.make(model, owner=owner, original_filename="talk.wav",
                          original_file="uploads/original/x.wav", status=JobStatus.COMPLETED)
    return model.objects.first() or baker.make(model)


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_changelist_and_change_pages_open(model, staff_client, admin_user):
    obj = sample(model, admin_user)
    assert staff_client.get(admin_url(model, "changelist")).status_code == 200
    assert staff_client.get(admin_url(model, "changelist"), {"q": "talk"}).status_code == 200
    assert staff_client.get(admin_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("kind", JOB_KINDS, ids=lambda k: k.name)
def test_every_job_model_has_the_job_admin(kind, rf, admin_user):
    model_admin = admin.site._registry[kind.model]
    assert isinstance(model_admin, JobAdmin)
    assert {"original_filename", "owner", "status"} <= set(model_admin.list_display)
    assert "status" in model_admin.list_filter
    assert {"original_filename", "owner__username"} <= set(model_admin.search_fields)
    readonly = set(model_admin.get_readonly_fields(request=None))
    assert {*kind.model.output_fields, "original_file", "report", *TIMESTAMPS} <= readonly
    request = rf.get("/admin/")
    request.user = admin_user
    actions = model_admin.get_actions(request)
    assert {"retry_failed", "delete_with_files"} <= set(actions)


def _stored(name: str) -> str:
    return default_storage.save(name, io.BytesIO(b"RIFF"))


def test_search_finds_jobs_by_filename_and_owner(staff_client, admin_user, make_user):
    model = JOB_KINDS[0].model
    baker.make(model, owner=make_user("dora"), original_filename="interview.wav")
    baker.make(model, owner=admin_user, original_filename="song.mp3")
    changelist = admin_url(model, "changelist")
    by_name = staff_client.get(changelist, {"q": "interview"}).context["cl"].result_list
    by_owner = staff_client.get(changelist, {"q": "dora"}).context["cl"].result_list
    assert [job.original_filename for job in by_name] == ["interview.wav"]
    assert [job.original_filename for job in by_owner] == ["interview.wav"]


def test_delete_with_files_removes_the_rows_and_every_file(
    staff_client, admin_user, django_capture_on_commit_callbacks
):
    kind = next(k for k in JOB_KINDS if k.name == "boost")
    original = _stored("uploads/audio_boost/original/admin-test.wav")
    output = _stored("uploads/audio_boost/boosted/admin-test_boosted.wav")
    picture = _stored(storage.waveform_name(output))
    job = baker.make(kind.model, owner=admin_user, original_file=original, boosted_file=output,
                     status=JobStatus.COMPLETED)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(admin_url(kind.model, "changelist"), {
            "action": "delete_with_files", "_selected_action": [job.pk]})
    assert response.status_code == 302
    assert not kind.model.objects.filter(pk=job.pk).exists()
    assert not any(default_storage.exists(name) for name in (original, output, picture))


def test_retry_requeues_failed_jobs_only(staff_client, admin_user):
    kind = next(k for k in JOB_KINDS if k.name == "boost")
    failed = baker.make(kind.model, owner=admin_user, status=JobStatus.FAILED,
                        error_message="boom", attempts=3)
    done = baker.make(kind.model, owner=admin_user, status=JobStatus.COMPLETED)
    staff_client.post(admin_url(kind.model, "changelist"), {
        "action": "retry_failed", "_selected_action": [failed.pk, done.pk]})
    failed.refresh_from_db()
    done.refresh_from_db()
    assert (failed.status, failed.error_message, failed.attempts) == ("pending", "", 0)
    assert done.status == "completed"
