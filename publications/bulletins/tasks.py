"""Background work of the bulletin (django-tasks; idempotent: printing again makes the
same file from the live issue)."""

from __future__ import annotations

from django_tasks import task


@task()
def bulletin_pdf_render(issue_id: int) -> dict:
    from publications.bulletins.models import BulletinIssuePage
    from publications.bulletins.printing import bulletin_pdf_make

    if not BulletinIssuePage.objects.live().filter(pk=issue_id).exists():
        return {"skipped": "not live"}
    pdf = bulletin_pdf_make(issue_id=issue_id)
    return {"status": pdf.status, "pages": pdf.pages, "error": pdf.error}
