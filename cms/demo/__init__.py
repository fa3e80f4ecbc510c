"""Demo content for `manage.py seed_demo` (idempotent; matched by slug / ISBN / ISSN):
the site root, four news channels with 24 news for different audiences (`news`), six
exemplar stories (`stories`), 60 books and 3 periodicals with generated EPUB/PDF files and
Pillow covers (`books`), one published digest issue (`digests`), the outlet registry
(`outlets`), and the editor/reviewer groups with the unit review workflow. The writes all
go through cms.services / cms.outlet_services; `common` holds who writes and publishes."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from cms.demo.books import seed_books, seed_periodicals
from cms.demo.common import site_home
from cms.demo.digests import seed_digests
from cms.demo.news import seed_news
from cms.demo.outlets import seed_outlets
from cms.demo.stories import seed_stories
from cms.models import Book, DigestIssue, ExemplarPage, NewsPage, Periodical
from organizations.models import OrgUnit


@transaction.atomic
def seed(stdout=None) -> dict:
    from cms.services import content_setup_ensure, site_sections_ensure
    from media_pipeline.models import MediaAsset

    units = {u.code: u for u in OrgUnit.objects.all()}
    if "G" not in units:
        return {"skipped": "no organisation (run organizations.demo.seed first)"}
    home = site_home()
    content_setup_ensure(home=home)
    site_sections_ensure(home)
    outlets = seed_outlets()
    video = MediaAsset.objects.filter(title="微党课：新时代的建设者").first()

    today = date.today()
    created_news = seed_news(home=home, units=units, video=video, today=today)
    seed_stories(home=home, units=units, video=video, today=today)
    books_created = seed_books(units=units)
    seed_periodicals(units=units, today=today)
    seed_digests(home=home, units=units, today=today)

    counts = {
        "news": NewsPage.objects.count(),
        "news_created": created_news,
        "stories": ExemplarPage.objects.count(),
        "books": Book.objects.count(),
        "books_created": books_created,
        "periodicals": Periodical.objects.count(),
        "digests": DigestIssue.objects.count(),
        "outlets": outlets,
    }
    if stdout is not None:
        stdout.write(f"  内容：{counts}\n")
    return counts
