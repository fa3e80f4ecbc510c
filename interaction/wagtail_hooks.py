"""互动平台 in the Wagtail admin: comment moderation, sensitive words, moderation rules,
boards, Q&A and the FAQ (interaction/comments/admin.py, interaction/qa/admin.py); the
analytics pages register their own hooks (interaction/analytics/wagtail_hooks.py)."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSetGroup

from interaction.analytics import wagtail_hooks as analytics_hooks  # noqa: F401
from interaction.comments import admin as comments_admin
from interaction.comments.selectors import is_moderator
from interaction.qa import admin as qa_admin


class InteractionGroup(ViewSetGroup):
    menu_label = "互动平台"
    menu_icon = "group"
    menu_order = 320
    items = (
        comments_admin.SensitiveWordViewSet("interaction_words"),
        comments_admin.ModerationRuleViewSet("interaction_rules"),
        comments_admin.BoardViewSet("interaction_boards"),
        qa_admin.QuestionViewSet("interaction_questions"),
        qa_admin.FaqViewSet("interaction_faq"),
    )


@hooks.register("register_admin_viewset")
def register_interaction():
    return InteractionGroup()


@hooks.register("register_admin_urls")
def register_moderation_urls():
    return [
        path(
            "interaction/moderation/",
            comments_admin.moderation_queue_view,
            name="interaction_moderation",
        )
    ]


class ModerationMenuItem(MenuItem):
    def is_shown(self, request):
        return is_moderator(request.user)


@hooks.register("register_admin_menu_item")
def register_moderation_menu():
    return ModerationMenuItem(
        "评论审核", reverse("interaction_moderation"), icon_name="comment", order=321
    )
