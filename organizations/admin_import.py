"""Admin page 组织管理 › 导入: upload a CSV/Excel file, see the validation report. A file
with any bad row writes nothing; bad files get a report, never a server error."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from organizations.importing import ImportRefused, check_size, max_bytes, org_import_file
from organizations.importing.validate import MEMBER_COLUMNS, UNIT_COLUMNS, Issue
from organizations.permissions import can_manage_org


class ImportForm(forms.Form):
    file = forms.FileField(
        label="导入文件",
        help_text="CSV（UTF-8 或 GBK）或 Excel (.xlsx)，不超过 20 MB；任一行有错则整个文件不导入",
    )
    dry_run = forms.BooleanField(label="只校验，不写入", required=False)


def import_view(request):
    if not can_manage_org(request.user):
        raise PermissionDenied
    report = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                check_size(upload.name, upload.size)
            except ImportRefused as exc:
                report = _refused(upload.name, exc)
            else:
                report = org_import_file(
                    name=upload.name,
                    data=upload.read(),
                    user=request.user,
                    dry_run=form.cleaned_data["dry_run"],
                )
    else:
        form = ImportForm()
    return render(
        request,
        "organizations/admin/import.html",
        {
            "form": form,
            "report": report,
            "unit_columns": list(UNIT_COLUMNS),
            "member_columns": list(MEMBER_COLUMNS),
            "max_mb": max_bytes() // (1024 * 1024),
        },
        status=200 if report is None or report.ok else 400,
    )


def _refused(name, exc):
    from organizations.importing import ImportReport

    report = ImportReport(file=name)
    report.errors.append(Issue(name, None, None, str(exc)))
    return report
