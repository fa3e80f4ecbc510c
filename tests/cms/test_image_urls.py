"""Cover URLs in lists come from one query (renditions joined to their images) and follow
an editor's change of the focal point: a rendition cut for the old focal point is not
served again."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file

from cms.rendering import COVER_SPEC, image_urls

pytestmark = pytest.mark.django_db


def test_existing_renditions_come_in_one_query_and_follow_the_focal_point():
    Image = get_image_model()
    images = [
        Image.objects.create(
            title=f"封面{i}", file=get_test_image_file(f"u{i}.png", size=(800, 600))
        )
        for i in range(3)
    ]
    first = image_urls([i.pk for i in images] + [None], COVER_SPEC)
    assert set(first) == {i.pk for i in images}
    with CaptureQueriesContext(connection) as ctx:
        again = image_urls([i.pk for i in images], COVER_SPEC)
    assert len(ctx.captured_queries) == 1
    assert again == first

    moved = images[0]
    moved.focal_point_x, moved.focal_point_y = 700, 500
    moved.focal_point_width = moved.focal_point_height = 50
    moved.save()
    after = image_urls([i.pk for i in images], COVER_SPEC)
    assert after[moved.pk]["url"] != first[moved.pk]["url"]
    assert after[images[1].pk] == first[images[1].pk]
    assert moved.renditions.filter(filter_spec=COVER_SPEC).count() == 2
