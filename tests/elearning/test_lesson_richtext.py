"""Lesson article bodies: sanitised when saved (whatever the write path) and when shown,
so rows stored before sanitising reach neither the API nor the portal with a script."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.images import ImageFile
from django.db import connection
from django.test import Client
from wagtail.images import get_image_model

from cms.samples import cover_png
from elearning.models import Lesson
from tests.cms.test_richtext import DANGEROUS, XSS_PAYLOADS

MALICIOUS = "".join(XSS_PAYLOADS)


def assert_clean(html: str) -> None:
    low = html.lower()
    found = [bad for bad in DANGEROUS if bad in low]
    assert not found, (found, html)
    assert not re.search(r"\son\w+\s*=", low), html


@pytest.fixture
def image(db):
    return get_image_model().objects.create(
        title="党徽", file=ImageFile(io.BytesIO(cover_png()), name="badge.png")
    )


def legit(image) -> str:
    return (
        '<p data-block-key="k1"><b>重点</b> <a href="https://www.12371.cn/">共产党员网</a></p>'
        f'<embed embedtype="image" id="{image.pk}" format="fullwidth" alt="党徽"/>'
    )


def stored_body(lesson) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM elearning_lesson WHERE id = %s", [lesson.pk])
        return cursor.fetchone()[0]


def assert_legit_output(html: str) -> None:
    assert "<b>重点</b>" in html
    assert 'href="https://www.12371.cn/"' in html
    assert re.search(r'<img [^>]*src="/media/images/badge[^"]*"', html), html


def test_lesson_body_is_sanitised_when_saved(academy, image):
    lesson = academy.article
    lesson.body = legit(image) + MALICIOUS
    lesson.save()
    stored = stored_body(lesson)
    # the editor's own database format survives: comment anchors and embedded images
    embed = f'<embed embedtype="image" id="{image.pk}" format="fullwidth" alt="党徽"/>'
    assert 'data-block-key="k1"' in stored and embed in stored
    assert_clean(stored.replace(embed, ""))
    Lesson.objects.filter(pk=lesson.pk).update(body='<p onclick="x()">改</p><script>1</script>')
    assert stored_body(lesson) == "<p>改</p>"
    Lesson.objects.bulk_create(
        [Lesson(course=academy.course, title="批量", kind="article", body=MALICIOUS)]
    )
    assert_clean(stored_body(Lesson.objects.get(title="批量")))


def test_old_unsanitised_rows_are_clean_in_the_api_and_the_portal(
    academy, member, client_for, image
):
    with connection.cursor() as cursor:  # a row written before bodies were sanitised
        cursor.execute(
            "UPDATE elearning_lesson SET body = %s WHERE id = %s",
            [legit(image) + MALICIOUS, academy.article.pk],
        )
    assert "<script>" in stored_body(academy.article)

    detail = client_for(member.user).get(f"/api/v1/courses/{academy.course.pk}/")
    assert detail.status_code == 200
    body = next(x["body"] for x in detail.json()["lessons"] if x["id"] == academy.article.pk)
    assert_clean(body)
    assert_legit_output(body)

    web = Client()
    web.force_login(member.user)
    page = web.get(f"/learn/lessons/{academy.article.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    article = html.split('<div class="rich-text">', 1)[1].split('<div id="lesson-progress"', 1)[0]
    assert_clean(article)
    assert_legit_output(article)
