"""Create the schema and a small academy in the server's SQLite file, then print JSON:
the video lesson's id and one access token per member.

    DJANGO_SETTINGS_MODULE=tests.servers.sqlite_settings EHOME_VAR_DIR=… \
        python -m tests.servers.sqlite_setup 100
"""

import json
import sys

import django


def main(members: int) -> None:
    django.setup()
    from django.core.management import call_command
    from rest_framework_simplejwt.tokens import AccessToken

    from elearning.models import Course, Lesson
    from media_pipeline.models import MediaAsset
    from tests.factories import add_unit, member_in

    call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
    unit = add_unit(None, "G", "集团党委", kind="committee")
    asset = MediaAsset.objects.create(
        kind="video", title="微党课", owner_unit=unit, status="ready", duration=100.0
    )
    course = Course.objects.create(title="必修课", audience_unit=unit, is_published=True)
    lesson = Lesson.objects.create(course=course, title="视频", kind="video", media=asset)
    tokens = [str(AccessToken.for_user(member_in(unit).user)) for _ in range(members)]
    print(json.dumps({"lesson": lesson.pk, "tokens": tokens}))


if __name__ == "__main__":
    main(int(sys.argv[1]))
