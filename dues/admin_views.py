"""The treasurer's admin pages (党费管理), each scoped to the subtrees where the user
holds the treasurer role: set a base, import bases from Excel, record an adjustment,
refund an order, the collection report (+ Excel). They validate input and call
dues.services / dues.bases; an order or unit out of scope is a 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError, ObjectNotFound
from dues import bases, selectors, services
from dues.amounts import fen_to_yuan, yuan_to_fen
from dues.exports import report_xlsx
from dues.rules import Category
from organizations.models import Member


def _treasurer_required(request):
    if not selectors.treasurer_scope(request.user).has_role:
        raise PermissionDenied


def _member_in_scope(request, member_no: str) -> Member | None:
    return (
        Member.objects.filter(member_no=member_no.strip())
        .filter(selectors.treasurer_scope(request.user).units_q("unit__path"))
        .first()
    )


def _yuan(value: str, label: str, *, allow_negative=False) -> int:
    try:
        fen = yuan_to_fen(value)
    except ValueError as exc:
        raise forms.ValidationError(f"{label}：{exc}") from None
    if fen < 0 and not allow_negative:
        raise forms.ValidationError(f"{label}不能为负数")
    return fen


class BaseForm(forms.Form):
    member_no = forms.CharField(label="党员编号", max_length=32)
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    category = forms.ChoiceField(label="交纳类别", choices=Category.choices)
    base_yuan = forms.CharField(label="月缴费基数（元）", max_length=20)


def base_set_view(request):
    _treasurer_required(request)
    form = BaseForm(request.POST or None, initial={"year": timezone.localdate().year})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        member = _member_in_scope(request, d["member_no"])
        try:
            base_fen = _yuan(d["base_yuan"], "月缴费基数")
            if member is None:
                raise forms.ValidationError(
                    f"党员编号 {d['member_no']} 不存在或不在您管理的党组织内"
                )
            bases.base_set(
                user=request.user,
                member_id=member.pk,
                year=d["year"],
                category=d["category"],
                base_fen=base_fen,
            )
        except forms.ValidationError as exc:
            form.add_error(None, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已设置 {member.name} {d['year']} 年的党费基数")
            return redirect(reverse("dues_base_set"))
    return TemplateResponse(
        request, "dues/admin/form.html", {"title": "设置党费基数", "form": form}
    )


def bases_import_view(request):
    _treasurer_required(request)
    if request.GET.get("template"):
        resp = HttpResponse(
            bases.bases_template(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        resp["Content-Disposition"] = 'attachment; filename="dues-bases-template.xlsx"'
        return resp
    ctx = {"title": "导入党费基数", "errors": [], "year": timezone.localdate().year}
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            year = int(request.POST.get("year", ""))
        except ValueError:
            year = 0
        if upload is None:
            ctx["errors"] = ["请选择要导入的 Excel 文件"]
        else:
            report = bases.bases_import(user=request.user, data=upload.read(), year=year)
            if report.ok:
                messages.success(request, f"已导入 {report.written} 名党员 {year} 年的党费基数")
                return redirect(reverse("dues_bases_import"))
            ctx["errors"] = report.errors
    return TemplateResponse(request, "dues/admin/import.html", ctx)


class AdjustmentForm(forms.Form):
    member_no = forms.CharField(label="党员编号", max_length=32)
    month = forms.CharField(label="所属月份（YYYY-MM）", max_length=7)
    amount_yuan = forms.CharField(label="调整金额（元，正数为补缴，负数为减免）", max_length=20)
    reason = forms.CharField(label="原因", max_length=300, widget=forms.Textarea(attrs={"rows": 3}))


def adjustment_view(request):
    _treasurer_required(request)
    form = AdjustmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        member = _member_in_scope(request, d["member_no"])
        try:
            if member is None:
                raise forms.ValidationError(
                    f"党员编号 {d['member_no']} 不存在或不在您管理的党组织内"
                )
            amount = _yuan(d["amount_yuan"], "调整金额", allow_negative=True)
            services.adjustment_create(
                user=request.user,
                member_id=member.pk,
                month=services.parse_month(d["month"]),
                amount_fen=amount,
                reason=d["reason"],
            )
        except forms.ValidationError as exc:
            form.add_error(None, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已为 {member.name} 记录调整 {fen_to_yuan(amount)} 元")
            return redirect(reverse("dues_adjustment"))
    return TemplateResponse(
        request, "dues/admin/form.html", {"title": "党费调整（补缴/减免）", "form": form}
    )


class RefundForm(forms.Form):
    amount_yuan = forms.CharField(label="退款金额（元）", max_length=20)
    reason = forms.CharField(
        label="退款原因", max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


def order_refund_view(request, pk: int):
    _treasurer_required(request)
    try:
        order = selectors.access_order_by_id(request.user, pk, action="refund")
    except ObjectNotFound:
        raise Http404 from None
    form = RefundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            amount = _yuan(form.cleaned_data["amount_yuan"], "退款金额")
            services.refund_create(
                user=request.user,
                order_id=order.pk,
                amount_fen=amount,
                reason=form.cleaned_data["reason"],
            )
        except forms.ValidationError as exc:
            form.add_error(None, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, f"已退款 {fen_to_yuan(amount)} 元（订单 {order.out_trade_no}）"
            )
            return redirect(reverse("dues_orders:index"))
    title = f"退款：{order.member.name} 订单 {order.out_trade_no}（{fen_to_yuan(order.amount_fen)} 元，已退 {fen_to_yuan(order.refunded_fen)} 元）"
    return TemplateResponse(request, "dues/admin/form.html", {"title": title, "form": form})


def report_view(request):
    _treasurer_required(request)
    scope = selectors.treasurer_scope(request.user)
    from organizations.models import OrgUnit

    units = list(OrgUnit.objects.filter(scope.units_q("path")).order_by("path")[:500])
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or today.year)
        month = int(request.GET["month"]) if request.GET.get("month") else None
        if not 2000 <= year <= 2100 or (month is not None and not 1 <= month <= 12):
            raise ValueError
    except ValueError:
        year, month = today.year, None
        messages.error(request, "年度或月份不正确，已显示本年度")
    unit_id = request.GET.get("unit")
    report = None
    if unit_id:
        try:
            unit = selectors.access_report_unit_by_id(request.user, int(unit_id))
        except (ObjectNotFound, ValueError):
            raise Http404 from None
        report = selectors.collection_report(unit=unit, year=year, month=month)
        if request.GET.get("export") == "xlsx":
            resp = HttpResponse(
                report_xlsx(report),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            resp["Content-Disposition"] = (
                f'attachment; filename="dues-report-{unit.code}-{year}.xlsx"'
            )
            return resp
        for row in [*report["rows"], report["total"]]:
            row["expected"] = fen_to_yuan(row["expected_fen"])
            row["collected"] = fen_to_yuan(row["collected_fen"])
            row["arrears"] = fen_to_yuan(row["arrears_fen"])
    ctx = {
        "title": "党费收缴报表",
        "units": units,
        "report": report,
        "year": year,
        "month": month,
        "months": range(1, 13),
        "unit_id": int(unit_id) if unit_id and unit_id.isdigit() else None,
        "query": request.GET.urlencode(),
    }
    return TemplateResponse(request, "dues/admin/report.html", ctx)
