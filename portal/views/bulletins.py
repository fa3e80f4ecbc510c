"""The bulletin 《政工情况》 in the portal: the issues a reader may see, one issue read as
a page (its sections and items, images included) and its PDF. Out of scope is a 404
like a missing id (publications.bulletins.selectors, through the portal's outlets)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse

from cms.selectors import PORTAL
from core.files import protected_file_response
from portal.access import portal_view
from publications.bulletins import selectors
from publications.bulletins.models import MASTHEAD
from publications.bulletins.representations import bulletin_detail_as_dict


@portal_view
def bulletin_list(request):
    qs = selectors.bulletins_visible_to(request.user, through=PORTAL).order_by("-issue_date", "-id")
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/bulletins.html",
        {"nav": "bulletins", "page_obj": page, "issues": page.object_list, "masthead": MASTHEAD},
    )


@portal_view
def bulletin_detail(request, pk: int):
    issue = selectors.access_bulletin_by_id(request.user, pk, through=PORTAL)
    data = bulletin_detail_as_dict(issue, request.user, image_url=_portal_image_url)
    return render(
        request,
        "portal/bulletin.html",
        {"nav": "bulletins", "issue": issue, "data": data, "masthead": MASTHEAD},
    )


def _portal_image_url(issue_id: int, position: int) -> str:
    return reverse("portal:bulletin_image", args=[issue_id, position])


@portal_view
def bulletin_image(request, pk: int, position: int):
    image = selectors.access_bulletin_image(request.user, pk, position, through=PORTAL)
    return protected_file_response(image.file, filename=image.name, inline=True)


@portal_view
def bulletin_pdf(request, pk: int):
    pdf = selectors.access_bulletin_pdf_by_id(request.user, pk, through=PORTAL)
    return protected_file_response(
        pdf.file, filename=pdf.filename, content_type="application/pdf", inline=False
    )
