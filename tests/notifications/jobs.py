"""Periodic jobs used by the scheduler tests (real django-tasks tasks)."""

from django_tasks import task


@task()
def job_ok() -> str:
    return "ok"


@task()
def job_fails() -> str:
    raise RuntimeError("服务暂不可用")
