"""Reads, always scoped to the owner: another user's id is indistinguishable from a missing one."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from audioservices.jobs.models import AbstractJob
from audioservices.jobs.registry import JobKind, all_kinds


def job_list(*, kind: JobKind, owner: AbstractBaseUser) -> QuerySet[AbstractJob]:
    return kind.model.objects.filter(owner=owner).order_by("-uploaded_at", "-id")


def job_get(*, kind: JobKind, owner: AbstractBaseUser, job_id: int) -> AbstractJob | None:
    return job_list(kind=kind, owner=owner).filter(pk=job_id).first()


def job_unfinished_list(*, owner: AbstractBaseUser) -> list[tuple[JobKind, AbstractJob]]:
    return [
        (kind, job)
        for kind in all_kinds()
        for job in kind.model.objects.filter(owner=owner, status__in=["pending", "processing"])
    ]


def media_owner_job(*, owner: AbstractBaseUser, name: str) -> tuple[AbstractJob, str] | None:
    """The owner's job holding the stored file ``name``, and which field holds it."""
    for kind in all_kinds():
        fields = kind.model.stored_file_fields()
        match = Q()
        for field_name in fields:
            match |= Q(**{field_name: name})
        job = kind.model.objects.filter(match, owner=owner).first()
        if job is not None:
            return job, next(f for f in fields if getattr(job, f).name == name)
    return None
