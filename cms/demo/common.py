"""Helpers every part of the cms demo uses: who writes and publishes (the demo editor,
reviewer and superuser), generated images, and adding a page under its parent once."""

from __future__ import annotations

from django.utils import timezone
from wagtail.images import get_image_model

from cms.models import HomePage, UnitScopedPage
from cms.samples import cover_png, wagtail_image


def demo_image(title: str, seed: int):
    Image = get_image_model()
    existing = Image.objects.filter(title=title).first()
    if existing:
        return existing
    return wagtail_image(title, cover_png(seed, (640, 360)), f"cms-demo-{seed}.png")


def site_home() -> HomePage:
    from cms.services import site_home_ensure

    return site_home_ensure()


def login(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username=username).first()


def publisher():
    """Site sections (home, channels) are set up once by a named person, the demo
    superuser, so the audit report names an operator for every row."""
    return login("admin")


def publish(page) -> None:
    """Demo content goes out the way all content does: the demo editor (王编辑, editor of
    the group) writes and submits it, the demo reviewer (李审核) approves it — a review
    with named people, recorded in the audit trail. Structural pages (channels) have no
    unit and no review; the superuser publishes them."""
    from cms.review import is_reviewed_content
    from cms.services import page_review_run

    if not is_reviewed_content(page):
        user = publisher()
        page.save_revision(user=user).publish(user=user)
        return
    editor = login("editor")
    page.save_revision(user=editor)
    page_review_run(page=page, submitted_by=editor, reviewers=[login("reviewer")])


def reviewed_fields() -> dict:
    """Bookshelf items of the demo: entered by the demo editor, published by the demo
    reviewer (the same two people a reviewer ≠ editor rule asks for in the admin)."""
    return {
        "is_published": True,
        "edited_by": login("editor"),
        "reviewed_by": login("reviewer"),
        "reviewed_at": timezone.now(),
    }


def child_page(parent, model, slug, tags=(), **fields):
    page = model.objects.child_of(parent).filter(slug=slug).first()
    if page:
        return page, False
    reviewed = issubclass(model, UnitScopedPage)  # not live until its review is through
    owner = login("editor") if reviewed else publisher()
    page = model(slug=slug, owner=owner, live=not reviewed, **fields)
    parent.add_child(instance=page)
    for t in tags:
        page.tags.add(t)
    publish(page)
    return model.objects.get(pk=page.pk), True


def stream_body(paragraphs: list[str], quote: str = "", video=None):
    body = [("rich_text", "".join(f"<p>{p}</p>" for p in paragraphs))]
    if quote:
        body.append(("quote", {"text": quote, "attribution": "项目党支部书记"}))
    if video is not None:
        body.append(("video", {"asset": video, "caption": "微党课视频"}))
    return body
